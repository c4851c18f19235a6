// ESLint with typescript-eslint; formatting is Prettier's (npm run format), the layering dependency-cruiser's.
import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/out/'] },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_name` marks a binding left unused on purpose (a destructured field that is dropped).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // One error model: the domain throws DomainError (a code, no status); only http/ knows Seam's envelope
    // (SeamError) and HTTP statuses, and error-response.ts is the one mapper between them.
    files: ['src/**/*.ts'],
    ignores: ['src/http/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/http/seam-error*'],
              message: 'Throw a DomainError (common/domain-errors.ts); http/ maps it.',
            },
          ],
          paths: [
            {
              name: '@nestjs/common',
              importNames: ['HttpException', 'HttpStatus', 'BadRequestException', 'NotFoundException'],
              message: 'HTTP statuses live in http/: throw a DomainError and map it in http/error-response.ts.',
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'NewExpression[callee.name=/^(SeamError|HttpException)$/]',
          message: 'HTTP errors are built in http/ only: throw a DomainError.',
        },
      ],
    },
  },
  {
    // Tests read arbitrary JSON answers.
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
