/**
 * The text in dist/agent/agent.sh that the server replaces with its own
 * public URL when it serves the script (signaling/static.ts), so
 * `curl -fsSL …/download/agent.sh | bash` needs no arguments. A copy of the
 * script that did not come from a server keeps it and asks for --server.
 */
export const AGENT_SH_SERVER_PLACEHOLDER = '@RELAY_RESCUE_SERVER@';
