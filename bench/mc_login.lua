-- wrk: MC password logins as the superuser (argon2id verify per request).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"mexadmin","password":"' .. os.getenv("MC_PASSWORD") .. '"}'
