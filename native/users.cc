// User and group resolution for the privilege drop. Everything here runs in
// the parent before any fork: these calls allocate and read files (NSS), so
// they are never safe between fork and exec.
// See: man 3 getpwnam_r, man 3 getgrnam_r, man 3 getgrouplist
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>
#include "errors.h"

namespace taskdaemon {

// getpw*_r/getgr*_r report "no such entry" as 0 with a NULL result, or (per
// the man page's NOTES) as one of these errnos, depending on the NSS backend.
static bool IsNotFound(int rc) {
  return rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM;
}

static bool ParseId(const std::string& s, unsigned long* out) {
  if (s.empty() || s.size() > 10) return false;
  for (char c : s) if (c < '0' || c > '9') return false;
  *out = std::strtoul(s.c_str(), nullptr, 10);
  return *out <= 0xfffffffeUL;
}

// Runs a getpw*_r/getgr*_r style lookup, growing the buffer on ERANGE.
// Returns 1 found, 0 not found, or -errno.
template <typename Entry, typename Lookup>
static int Lookup_r(Entry* entry, std::vector<char>& buf, Lookup lookup) {
  for (;;) {
    Entry* res = nullptr;
    int rc = lookup(entry, buf.data(), buf.size(), &res);
    if (rc == ERANGE && buf.size() < (1u << 24)) { buf.resize(buf.size() * 2); continue; }
    if (res != nullptr) return 1;
    return IsNotFound(rc) ? 0 : -rc;
  }
}

// lookupUser(nameOrUid) -> { name, uid, gid, home, shell } | null | -errno
static Napi::Value LookupUser(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 1)) return env.Undefined();
  std::string key = info[0].As<Napi::String>().Utf8Value();
  unsigned long id;
  bool numeric = ParseId(key, &id);
  std::vector<char> buf(16384);
  struct passwd pw;
  int found = Lookup_r(&pw, buf, [&](passwd* e, char* b, size_t n, passwd** r) {
    return numeric ? getpwuid_r(static_cast<uid_t>(id), e, b, n, r) : getpwnam_r(key.c_str(), e, b, n, r);
  });
  if (found <= 0) return found == 0 ? env.Null() : Napi::Number::New(env, found);
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", pw.pw_name);
  o.Set("uid", Napi::Number::New(env, pw.pw_uid));
  o.Set("gid", Napi::Number::New(env, pw.pw_gid));
  o.Set("home", pw.pw_dir ? pw.pw_dir : "");
  o.Set("shell", pw.pw_shell ? pw.pw_shell : "");
  return o;
}

// lookupGroup(nameOrGid) -> { name, gid } | null | -errno
static Napi::Value LookupGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 1)) return env.Undefined();
  std::string key = info[0].As<Napi::String>().Utf8Value();
  unsigned long id;
  bool numeric = ParseId(key, &id);
  std::vector<char> buf(16384);
  struct group gr;
  int found = Lookup_r(&gr, buf, [&](group* e, char* b, size_t n, group** r) {
    return numeric ? getgrgid_r(static_cast<gid_t>(id), e, b, n, r) : getgrnam_r(key.c_str(), e, b, n, r);
  });
  if (found <= 0) return found == 0 ? env.Null() : Napi::Number::New(env, found);
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", gr.gr_name);
  o.Set("gid", Napi::Number::New(env, gr.gr_gid));
  return o;
}

// groupList(userName, primaryGid) -> gid[] (primary first) | -errno
static Napi::Value GroupList(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!ExpectArgs(info, 2)) return env.Undefined();
  std::string user = info[0].As<Napi::String>().Utf8Value();
  gid_t primary = info[1].As<Napi::Number>().Uint32Value();
  int n = 32;
  std::vector<gid_t> groups;
  for (int tries = 0; tries < 8; tries++) {
    groups.resize(n);
    int want = n;
    // Returns -1 and sets n to the needed size when the buffer is too small.
    if (getgrouplist(user.c_str(), primary, groups.data(), &want) != -1) {
      groups.resize(want);
      Napi::Array a = Napi::Array::New(env, groups.size());
      for (size_t i = 0; i < groups.size(); i++) a.Set(i, Napi::Number::New(env, groups[i]));
      return a;
    }
    n = want > n ? want : n * 2;
  }
  return Napi::Number::New(env, -ENOMEM);
}

void InitUsers(Napi::Env env, Napi::Object exports) {
  exports.Set("lookupUser", Napi::Function::New(env, LookupUser, "lookupUser"));
  exports.Set("lookupGroup", Napi::Function::New(env, LookupGroup, "lookupGroup"));
  exports.Set("groupList", Napi::Function::New(env, GroupList, "groupList"));
}

}  // namespace taskdaemon
