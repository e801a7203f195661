/**
 * Screen content: when the link is tight, the video sender should lower the
 * frame rate and keep the resolution, so text stays readable. The agent's
 * screencast source and a browser's screen track imply it; saying so on the
 * sender makes it explicit for both. Best effort: a stack that refuses the
 * parameter keeps its default.
 */
export async function keepResolution(sender: RTCRtpSender): Promise<void> {
  try {
    const parameters: RTCRtpSendParameters & { degradationPreference?: string } = { ...sender.getParameters(), degradationPreference: 'maintain-resolution' };
    await sender.setParameters(parameters);
  } catch {
    // Not supported here: the screencast default applies.
  }
}
