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
        "native/child-spawn.cc",
        "native/poll.cc",
        "native/control-call.cc",
        "native/exit-now.cc",
        "native/backoff-probe.cc"
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
            [
              "td_sanitize==1",
              {
                "cflags_cc+": [
                  "-fsanitize=address,undefined",
                  "-fno-sanitize-recover=all",
                  "-fno-omit-frame-pointer",
                  "-g"
                ],
                "ldflags+": [
                  "-fsanitize=address,undefined"
                ]
              }
            ]
          ]
        }
      }
    },
    {
      "target_name": "taskdaemon-supervisor",
      "type": "executable",
      "sources": [
        "native/supervisor/main.cc",
        "native/supervisor/plan.cc",
        "native/supervisor/loop.cc",
        "native/supervisor/log.cc",
        "native/supervisor/records.cc",
        "native/supervisor/end.cc",
        "native/supervisor/supervisor.cc",
        "native/supervisor/instance.cc",
        "native/supervisor/reload.cc",
        "native/supervisor/graceful.cc",
        "native/supervisor/report.cc",
        "native/supervisor/rpc.cc",
        "native/supervisor/program-ready.cc",
        "native/supervisor/health.cc",
        "native/supervisor/watch.cc",
        "native/child-spawn.cc"
      ],
      "defines": [
        "_GNU_SOURCE",
        "JSON_USE_IMPLICIT_CONVERSIONS=1"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-fno-rtti",
        "-std=gnu++17"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-fexceptions",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter",
        "-Os"
      ],
      "configurations": {
        "Debug": {
          "conditions": [
            [
              "td_sanitize==1",
              {
                "cflags_cc+": [
                  "-fsanitize=address,undefined",
                  "-fno-sanitize-recover=all",
                  "-fno-omit-frame-pointer",
                  "-g"
                ],
                "ldflags+": [
                  "-fsanitize=address,undefined"
                ]
              }
            ]
          ]
        }
      }
    }
  ]
}
