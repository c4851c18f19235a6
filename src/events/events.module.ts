import { Module } from '@nestjs/common';
import { GetEventHandler, ListEventsHandler } from './events.cqrs.js';

@Module({ providers: [ListEventsHandler, GetEventHandler] })
export class EventsModule {}
