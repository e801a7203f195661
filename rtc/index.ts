/** The WebRTC session core shared by the web UI and the agent. */
export * from './emitter.ts';
export * from './sha256.ts';
export * from './signaling-client.ts';
export * from './peer-session.ts';
export * from './channel-codec.ts';
export * from './connection-facts.ts';
export * from './file-channel-port.ts';
export * from './file-transfer.ts';
export * from './memory-file.ts';
export * from './permissions.ts';
export * from './session-log.ts';
export * from './format-bytes.ts';
export * from './peer-link.ts';
export * from './support-engine.ts';
export * from './customer-engine.ts';
export * from './technician-engine.ts';
