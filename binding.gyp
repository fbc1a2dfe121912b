{
  "variables": {
    "td_sanitize%": "<!(node -p \"process.env.TASKDAEMON_SANITIZE === '1' ? 1 : 0\")"
  },
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
        "native/control.cc",
        "native/child.cc",
        "native/poll.cc",
        "native/control-call.cc",
        "native/exit-now.cc"
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
      ],
      "configurations": {
        "Debug": {
          "conditions": [
            ["td_sanitize==1", {
              "cflags_cc+": ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"],
              "ldflags+": ["-fsanitize=address,undefined"]
            }]
          ]
        }
      }
    }
  ]
}
