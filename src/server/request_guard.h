#pragma once
// Who may call the server. Only pages it served itself: bound to this machine only, the Host must be this machine
// (DNS rebinding), and an Origin, when the browser sends one, must be the Host (another site's page posting
// here). Listening beyond this machine, only holders of the token printed at start: an `Authorization: Bearer`
// header, the cookie the first page load with `?token=` sets, or `?token=` itself.

#include <string>

namespace httplib {
struct Request;
}

namespace wf::server {

class RequestGuard {
 public:
  // `bound`: the address listened on. A token is made when it is not this machine's.
  explicit RequestGuard(std::string bound);

  struct Verdict {
    int status = 0;           // 0: the request goes on; 401 or 403
    std::string message;      // why not
    bool from_query = false;  // the token came as ?token=: the answer sets the cookie
  };
  Verdict check(const httplib::Request& request, int port) const;

  const std::string& token() const { return token_; }  // "" when none is asked
  std::string cookie() const;                          // Set-Cookie for the token

  static bool loopback(const std::string& host);

 private:
  std::string bound_, token_;
};

}  // namespace wf::server
