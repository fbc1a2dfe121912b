// The native supervisor's restart backoff (supervisor/backoff.h: pure, with
// the clock passed in), reachable from JavaScript so its unit test drives the
// very code the supervisor runs, through years of restarts in a millisecond.
#include "errors.h"
#include "supervisor/backoff.h"

namespace taskdaemon {

// backoffDecisions({ delayMs, maxMs, limit: { burst, intervalMs } | null }, steps)
//   -> [{ restart, delayMs?, count, intervalMs? } | null]: a step is [uptimeMs, now], or 'reset' (null in the answer).
static Napi::Value BackoffDecisions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 2)) return env.Undefined();
  Napi::Object spec = info[0].As<Napi::Object>();
  std::optional<std::pair<int, int64_t>> limit;
  if (spec.Get("limit").IsObject()) {
    Napi::Object l = spec.Get("limit").As<Napi::Object>();
    limit = std::make_pair(l.Get("burst").As<Napi::Number>().Int32Value(), l.Get("intervalMs").As<Napi::Number>().Int64Value());
  }
  sv::Backoff b(spec.Get("delayMs").As<Napi::Number>().Int64Value(), spec.Get("maxMs").As<Napi::Number>().Int64Value(), limit);
  Napi::Array steps = info[1].As<Napi::Array>();
  Napi::Array out = Napi::Array::New(env, steps.Length());
  for (uint32_t i = 0; i < steps.Length(); i++) {
    Napi::Value step = steps.Get(i);
    if (!step.IsArray()) {
      b.Reset();
      out.Set(i, env.Null());
      continue;
    }
    Napi::Array s = step.As<Napi::Array>();
    sv::Decision d = b.Next(s.Get(0u).As<Napi::Number>().Int64Value(), s.Get(1u).As<Napi::Number>().Int64Value());
    Napi::Object r = Napi::Object::New(env);
    r.Set("restart", d.restart);
    if (d.restart) r.Set("delayMs", Napi::Number::New(env, static_cast<double>(d.delay_ms)));
    r.Set("count", d.count);
    if (!d.restart) r.Set("intervalMs", Napi::Number::New(env, static_cast<double>(d.interval_ms)));
    out.Set(i, r);
  }
  return out;
}

void InitBackoffProbe(Napi::Env env, Napi::Object exports) {
  exports.Set("backoffDecisions", Napi::Function::New(env, BackoffDecisions, "backoffDecisions"));
}

}  // namespace taskdaemon
