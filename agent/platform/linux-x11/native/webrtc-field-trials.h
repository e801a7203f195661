// See webrtc-field-trials.cc.
#pragma once
#include <string>

/** Calls libwebrtc's InitFieldTrialsFromString in the loaded @roamhq/wrtc addon: "" when done, else why not. */
std::string setWebrtcFieldTrials(const std::string& trials);

/** libwebrtc's current field-trial string in the loaded @roamhq/wrtc addon ("" when none or not found). */
std::string webrtcFieldTrials();
