-- wrk script of bench/gateway.sh: every request POSTs one event (the first line of $EVENT_FILE) with the
-- token in $TOKEN, as a department's form would.
local f = assert(io.open(os.getenv("EVENT_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/x-ndjson"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
