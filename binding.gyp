{
  "targets": [
    {
      "target_name": "taskdaemon",
      "sources": [
        "native/addon.cc",
        "native/errors.cc",
        "native/spawn.cc",
        "native/pidlock.cc",
        "native/pidfd.cc",
        "native/users.cc",
        "native/notify.cc",
        "native/fds.cc",
        "native/limits.cc",
        "native/control.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "_GNU_SOURCE"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter"
      ]
    }
  ]
}
