import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';

// The error model's lint rule (eslint.config.js), run as `npm run lint` runs it, on code placed in each layer.
const eslint = new ESLint({ cwd: process.cwd() });

async function errorsIn(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax')
    .map((m) => m.message);
}

const seamError = `import { SeamError } from '../http/seam-error.js';\nexport const e = new SeamError(400, 'x', 'y');\n`;
const nestStatus = `import { HttpException, HttpStatus } from '@nestjs/common';\nexport const e = new HttpException('x', HttpStatus.BAD_REQUEST);\n`;

describe('the error model lint rule', () => {
  it.each(['src/custom-metadata/x.ts', 'src/read-models/x.ts', 'src/devices/x.ts', 'src/cli-program-x.ts'])(
    'refuses SeamError and HTTP statuses in %s',
    async (file) => {
      expect(await errorsIn(file, seamError)).toEqual([
        expect.stringContaining('Throw a DomainError'),
        expect.stringContaining('HTTP errors are built in http/ only'),
      ]);
      expect(await errorsIn(file, nestStatus)).toEqual([
        expect.stringContaining('HTTP statuses live in http/'),
        expect.stringContaining('HTTP statuses live in http/'),
        expect.stringContaining('HTTP errors are built in http/ only'),
      ]);
    },
  );

  it('allows them in http/', async () => {
    expect(await errorsIn('src/http/x.ts', seamError.replace('../http/', './'))).toEqual([]);
    expect(await errorsIn('src/http/x.ts', nestStatus)).toEqual([]);
  });
});
