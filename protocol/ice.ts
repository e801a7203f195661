import { z } from 'zod';
import { LIMITS } from './limits.ts';

/** One entry of RTCConfiguration.iceServers as handed to a client. */
export const iceServerSchema = z.strictObject({
  urls: z.array(z.string().max(LIMITS.urlChars).regex(/^(stun|stuns|turn|turns):/)).min(1).max(LIMITS.iceUrlsPerServer),
  username: z.string().max(256).optional(),
  credential: z.string().max(256).optional(),
});
export type IceServer = z.infer<typeof iceServerSchema>;

export const iceConfigSchema = z.strictObject({
  iceServers: z.array(iceServerSchema).max(LIMITS.iceServers),
  iceTransportPolicy: z.enum(['all', 'relay']),
  /** Whether a TURN relay is configured; without one only direct paths can work. */
  turnConfigured: z.boolean(),
  /** When the TURN credentials stop working (ms since epoch), if any. */
  expiresAt: z.number().int().nonnegative().optional(),
});
export type IceConfig = z.infer<typeof iceConfigSchema>;

export const sessionDescriptionSchema = z.strictObject({
  type: z.enum(['offer', 'answer', 'pranswer', 'rollback']),
  sdp: z.string().max(LIMITS.sdpChars).optional(),
});

export const iceCandidateSchema = z.strictObject({
  candidate: z.string().max(LIMITS.candidateChars),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(255).nullable().optional(),
  usernameFragment: z.string().max(256).nullable().optional(),
});

/** What one peer relays to the other through the server: a description or a candidate (null ends gathering). */
export const signalDataSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('description'), description: sessionDescriptionSchema }),
  z.strictObject({ kind: z.literal('candidate'), candidate: iceCandidateSchema.nullable() }),
]);
export type SignalData = z.infer<typeof signalDataSchema>;
