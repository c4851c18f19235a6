import { Module } from '@nestjs/common';
import { CompleteConnectWebviewHandler } from './complete-connect-webview.js';

@Module({ providers: [CompleteConnectWebviewHandler] })
export class CompletionModule {}
