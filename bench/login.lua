-- wrk: POST the login form with the CSRF cookie and token given in the environment.
local csrf = os.getenv("CSRF")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "portico_csrf=" .. csrf
wrk.body = "_csrf=" .. csrf .. "&email=admin%40example.com&password=portico-demo"
