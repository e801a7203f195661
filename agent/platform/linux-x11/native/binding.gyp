{
  "targets": [
    {
      "target_name": "rr_x11_capture",
      "sources": ["x11-damage-capture.cc", "webrtc-field-trials.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-Wall", "-Wextra"],
      "ldflags": ["-static-libstdc++", "-static-libgcc"],
      "libraries": ["-lxcb", "-lxcb-shm", "-lxcb-damage", "-lxcb-xfixes"]
    }
  ]
}
