import type { CommandBus } from '@nestjs/cqrs';
import { ConnectWebviewCommandMessage } from '../connect-webviews/nest.js';
import { ConnectedAccountCommandMessage } from '../connected-accounts/nest.js';
import { DeviceCommandMessage } from '../devices/nest.js';
import type { DeciderCommandHandler } from '../event-store/decider-command-handler.js';
import type { CompletionCommands } from './completion.saga.js';
import type { CompletionStep } from './completion.workflow.js';

/**
 * The saga's steps on the CommandBus: each goes to its feature's command handler, as an HTTP request's
 * command does, with the ids that make a repeated step a no-op.
 */
export function completionCommands(bus: CommandBus, states: DeciderCommandHandler): CompletionCommands {
  return { states, send: (step) => bus.execute(messageOf(step)) };
}

function messageOf(step: CompletionStep) {
  const options = { eventId: step.eventId, correlationId: step.correlationId };
  switch (step.target) {
    case 'connected_account':
      return new ConnectedAccountCommandMessage(step.command, options);
    case 'device':
      return new DeviceCommandMessage(step.command, options);
    case 'connect_webview':
      return new ConnectWebviewCommandMessage(step.command, options);
  }
}
