// See webrtc-field-trials.cc.
#pragma once
#include <string>

/** Calls libwebrtc's InitFieldTrialsFromString in the loaded @roamhq/wrtc addon: "" when done, else why not. */
std::string setWebrtcFieldTrials(const std::string& trials);
