import type { z } from 'zod';
import {
  CHAT_MESSAGE_TYPES,
  CONTROL_MESSAGE_TYPES,
  FILE_MESSAGE_TYPES,
  INPUT_MESSAGE_TYPES,
  POINTER_MESSAGE_TYPES,
  chatMessageSchema,
  controlMessageSchema,
  fileMessageSchema,
  inputMessageSchema,
  pointerMessageSchema,
} from '../protocol/channels.ts';
import type { ChannelName, ChatMessage, ControlMessage, FileMessage, InputMessage, PointerMessage } from '../protocol/channels.ts';
import { LIMITS } from '../protocol/limits.ts';
import { parseMessage } from '../protocol/parse.ts';
import type { ParseResult } from '../protocol/parse.ts';

/** The JSON message type of each data channel (files: the JSON half; binary frames travel beside it). */
export type ChannelMessages = {
  control: ControlMessage;
  chat: ChatMessage;
  pointer: PointerMessage;
  input: InputMessage;
  files: FileMessage;
};

const CODECS: { [C in ChannelName]: { schema: z.ZodType<ChannelMessages[C]>; types: ReadonlySet<string> } } = {
  control: { schema: controlMessageSchema, types: CONTROL_MESSAGE_TYPES },
  chat: { schema: chatMessageSchema, types: CHAT_MESSAGE_TYPES },
  pointer: { schema: pointerMessageSchema, types: POINTER_MESSAGE_TYPES },
  input: { schema: inputMessageSchema, types: INPUT_MESSAGE_TYPES },
  files: { schema: fileMessageSchema, types: FILE_MESSAGE_TYPES },
};

/** Parses one incoming JSON message of a channel; never throws. */
export function decodeChannelMessage<C extends ChannelName>(channel: C, raw: string): ParseResult<ChannelMessages[C]> {
  const codec = CODECS[channel];
  return parseMessage(raw, codec.schema, LIMITS.channelMessageBytes, codec.types);
}

/** Validates and serializes an outgoing message; throws on a message its schema refuses (a bug on this side). */
export function encodeChannelMessage<C extends ChannelName>(channel: C, msg: ChannelMessages[C]): string {
  const result = CODECS[channel].schema.safeParse(msg);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`rtc: refusing to send an invalid ${channel} message: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`);
  }
  return JSON.stringify(result.data);
}
