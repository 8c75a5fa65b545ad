-- mixed.lua — the soak's wrk script: signed-in reads and writes, mixed.
--
-- Loads the table bench/soak/prepare.py wrote (path in $SOAK_DATA): per
-- wrk thread its own sessions (worker, school user, coordinator, viewer:
-- cookie + CSRF token), and the cases and pupils the writes may touch
-- (each one tried once by prepare.py, so these writes must succeed).
-- Each request is drawn at random from MIX below (weights; about 83%
-- reads, 17% writes); writes carry varied data and a marker
-- ("soak-w-THREAD-N") that soak.sh counts in the database afterwards.
-- response() counts every answer by status, keeps the first few error
-- bodies, and done() prints one "SOAK key value…" line per figure for
-- soak.sh to parse.

local data = dofile(os.getenv("SOAK_DATA"))

local CONTACT_KINDS = {"phone", "home_visit", "school_meeting", "office", "video", "other"}
local NEEDS = {"attendance", "behaviour", "emotional_health", "parenting", "housing",
	"finances", "send", "health", "caring", "other"}
local SEEN = {"Parent", "Mother", "Father", "Child and parent", "Grandparent", "Carer"}
local NAMES = {"Alex Parent", "Jo Carer", "Sam Guardian", "Chris Parent", "Pat Grandparent"}

-- ---- the main state: one entry per thread, then the totals -----------------

local threads = {}

function setup(thread)
	table.insert(threads, thread)
	thread:set("tid", #threads)
end

-- ---- each thread's state ------------------------------------------------------

-- statuses, kinds and samples are globals: done() reads them with thread:get.
local S          -- this thread's sessions
local n = 0      -- requests made by this thread
statuses = {}    -- status -> answers
kinds = {}       -- MIX name -> requests made
samples = {}     -- the first few error answers: "status body…"

function init(args)
	-- more threads than session sets: share round-robin
	S = data.threads[((tid - 1) % #data.threads) + 1]
	math.randomseed(tid * 7919 + os.time())
end

local function pick(list) return list[math.random(#list)] end

local function get(path, who)
	local h = {}
	if who then h["Cookie"] = S[who].cookie end
	return wrk.format("GET", path, h)
end

local function post(path, who, body)
	return wrk.format("POST", path, {
		["Cookie"] = S[who].cookie,
		["X-CSRF-Token"] = S[who].csrf,
		["Content-Type"] = "application/json",
	}, body)
end

-- A JSON string literal for our own ASCII values (no escaping needed).
local function q(s) return '"' .. s .. '"' end

local function marker() return "soak-w-" .. tid .. "-" .. n end

local function contact(ref, who)
	local body = "{" .. table.concat({
		'"at":' .. q(data.today .. "T00:01"),
		'"kind":' .. q(pick(CONTACT_KINDS)),
		'"duration_min":' .. math.random(5, 120),
		'"seen":' .. q(pick(SEEN)),
		'"notes":' .. q(marker() .. " talked about " .. pick(NEEDS)),
	}, ",") .. "}"
	return post("/api/v1/cases/" .. ref .. "/contacts", who, body)
end

local function action()
	local body = "{" .. table.concat({
		'"description":' .. q(marker() .. " support with " .. pick(NEEDS)),
		'"need":' .. q(pick(NEEDS)),
		'"owner_kind":"worker"',
		'"owner_id":' .. data.worker_id,
		'"due_on":' .. q(pick(data.due_dates)),
	}, ",") .. "}"
	return post("/api/v1/cases/" .. pick(data.worker_cases) .. "/actions", "worker", body)
end

local function referral()
	local need1, need2 = pick(NEEDS), pick(NEEDS)
	local needs = need1 == need2 and q(need1) or q(need1) .. "," .. q(need2)
	local body = "{" .. table.concat({
		'"upns":[' .. q(pick(data.school_upns)) .. "]",
		'"needs":[' .. needs .. "]",
		'"level_of_need":' .. math.random(1, 3),
		'"reason":' .. q(marker() .. " concerns about " .. need1),
		'"tried":"Meetings with the family"',
		'"consent":{"basis":"consent","given_by":' .. q(pick(NAMES)) ..
			',"relationship":"parent","scope":["pool"],"given_on":' .. q(data.today) .. "}",
	}, ",") .. "}"
	return post("/api/v1/referrals", "school", body)
end

-- weight, name, function returning the request
local MIX = {
	-- The coordinator's and viewer's home pages are the costliest reads
	-- (partnership-wide counts, ~0.3 s of CPU each on the demo); weighted as
	-- used: workers and school staff open Hearth far more often.
	{4, "home (worker)", function() return get("/", "worker") end},
	{3, "home (school)", function() return get("/", "school") end},
	{2, "home (coordinator)", function() return get("/", "coordinator") end},
	{1, "home (viewer)", function() return get("/", "viewer") end},
	{7, "caseload page", function() return get("/caseload", "worker") end},
	{5, "caseload api", function() return get("/api/v1/caseload", "worker") end},
	{7, "case page (worker)", function() return get("/cases/" .. pick(data.worker_cases), "worker") end},
	{5, "case page (coordinator)", function() return get("/cases/" .. pick(data.all_cases), "coordinator") end},
	{5, "case api", function() return get("/api/v1/cases/" .. pick(data.all_cases), "coordinator") end},
	{7, "pupil page", function() return get("/pupils/" .. pick(data.school_upns), "school") end},
	{4, "pupil api", function() return get("/api/v1/pupils/" .. pick(data.school_upns), "coordinator") end},
	{8, "report json", function()
		return get("/api/v1/reports/" .. pick(data.reports), pick({"coordinator", "viewer"})) end},
	{5, "health", function() return get("/api/v1/health") end},
	{4, "me", function() return get("/api/v1/me", pick({"worker", "school", "coordinator", "viewer"})) end},
	{3, "asset", function() return get("/assets/app.css") end},
	{4, "write contact (worker)", function() return contact(pick(data.worker_cases), "worker") end},
	{4, "write contact (coordinator)", function() return contact(pick(data.all_cases), "coordinator") end},
	{3, "write action", action},
	{3, "write referral", referral},
}
local total_weight = 0
for _, m in ipairs(MIX) do total_weight = total_weight + m[1] end

function request()
	n = n + 1
	local r = math.random() * total_weight
	for _, m in ipairs(MIX) do
		r = r - m[1]
		if r <= 0 then
			kinds[m[2]] = (kinds[m[2]] or 0) + 1
			return m[3]()
		end
	end
	return MIX[1][3]()
end

function response(status, headers, body)
	statuses[status] = (statuses[status] or 0) + 1
	if status >= 400 and #samples < 5 then
		table.insert(samples, status .. " " .. string.sub(body or "", 1, 160):gsub("%s+", " "))
	end
end

-- ---- the totals (main state) ------------------------------------------------------

function done(summary, latency, requests)
	local st, kd, smp = {}, {}, {}
	for _, t in ipairs(threads) do
		for k, v in pairs(t:get("statuses")) do st[k] = (st[k] or 0) + v end
		for k, v in pairs(t:get("kinds")) do kd[k] = (kd[k] or 0) + v end
		for _, v in ipairs(t:get("samples")) do if #smp < 10 then table.insert(smp, v) end end
	end
	local secs = summary.duration / 1e6
	io.write(string.format("SOAK requests %d\n", summary.requests))
	io.write(string.format("SOAK seconds %.1f\n", secs))
	io.write(string.format("SOAK rps %.1f\n", summary.requests / secs))
	io.write(string.format("SOAK bytes %d\n", summary.bytes))
	for _, p in ipairs({50, 90, 99, 99.9}) do
		io.write(string.format("SOAK p%s_ms %.2f\n", tostring(p), latency:percentile(p) / 1000))
	end
	io.write(string.format("SOAK max_ms %.2f\n", latency.max / 1000))
	local e = summary.errors
	io.write(string.format("SOAK socket_errors connect=%d read=%d write=%d timeout=%d\n",
		e.connect, e.read, e.write, e.timeout))
	local keys = {}
	for k in pairs(st) do table.insert(keys, k) end
	table.sort(keys)
	for _, k in ipairs(keys) do io.write(string.format("SOAK status %d %d\n", k, st[k])) end
	keys = {}
	for k in pairs(kd) do table.insert(keys, k) end
	table.sort(keys)
	for _, k in ipairs(keys) do io.write(string.format("SOAK sent %d %s\n", kd[k], k)) end
	for _, v in ipairs(smp) do io.write("SOAK sample " .. v .. "\n") end
end
