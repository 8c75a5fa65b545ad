-- 0006: commissioning — the service catalogue (providers, services, the
-- districts each serves), budgets held by a school, a district or the
-- partnership with their funding sources, commissions of services (and
-- household item grants) for a family's case with their history, and
-- the settings for approval limits and the cost of worker time.  Money is
-- integer pence everywhere.  Paired with 0006.pg.sql.

CREATE TABLE providers (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE,
	contact TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE TABLE services (
	id INTEGER PRIMARY KEY,
	provider_id INTEGER NOT NULL REFERENCES providers(id),
	name TEXT NOT NULL,
	category TEXT NOT NULL CHECK (category IN ('family_group_conferencing','victim_support',
		'employment_advice','therapy','childcare','mediation','parenting','household',
		'debt_advice','youth','health','other')),
	unit TEXT NOT NULL CHECK (unit IN ('session','place_week','grant','one_off')),
	unit_cost_pence INTEGER NOT NULL CHECK (unit_cost_pence >= 0),
	capacity INTEGER CHECK (capacity > 0),   -- units it can deliver at once; NULL: no limit
	exit_route INTEGER NOT NULL DEFAULT 0,    -- the family can stay with it after the case closes
	description TEXT NOT NULL DEFAULT '',
	active INTEGER NOT NULL DEFAULT 1,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	UNIQUE (provider_id, name)
);
CREATE TABLE service_districts (
	service_id INTEGER NOT NULL REFERENCES services(id),
	district_id INTEGER NOT NULL REFERENCES districts(id),
	PRIMARY KEY (service_id, district_id)
);

-- A budget and who holds it.  period 'financial' runs 1 April start_year
-- to 31 March start_year+1; 'academic' 1 September to 31 August.
CREATE TABLE budgets (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	owner_kind TEXT NOT NULL CHECK (owner_kind IN ('school','district','partnership')),
	school_id INTEGER REFERENCES schools(id),
	district_id INTEGER REFERENCES districts(id),
	period TEXT NOT NULL CHECK (period IN ('financial','academic')),
	start_year INTEGER NOT NULL CHECK (start_year BETWEEN 2000 AND 2100),
	amount_pence INTEGER NOT NULL CHECK (amount_pence >= 0),
	created_by INTEGER REFERENCES users(id),
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,       -- bumped by every approval: serialises them
	CHECK ((owner_kind = 'school') = (school_id IS NOT NULL)),
	CHECK ((owner_kind = 'district') = (district_id IS NOT NULL))
);
-- Who funds a budget: contributions sum to its amount (checked in code).
CREATE TABLE budget_sources (
	id INTEGER PRIMARY KEY,
	budget_id INTEGER NOT NULL REFERENCES budgets(id),
	source TEXT NOT NULL,                     -- "Dedicated Schools Grant transfer", "City Council", …
	amount_pence INTEGER NOT NULL CHECK (amount_pence >= 0),
	UNIQUE (budget_id, source)
);

-- A service (or a household item grant) bought for a family's case.
CREATE TABLE commissions (
	id INTEGER PRIMARY KEY,
	ref TEXT NOT NULL UNIQUE,                 -- "M-000123"
	case_id INTEGER NOT NULL REFERENCES cases(id),
	budget_id INTEGER NOT NULL REFERENCES budgets(id),
	kind TEXT NOT NULL CHECK (kind IN ('service','household_grant')),
	service_id INTEGER REFERENCES services(id),
	quantity INTEGER NOT NULL CHECK (quantity > 0),
	unit_cost_pence INTEGER NOT NULL CHECK (unit_cost_pence >= 0),
	estimate_pence INTEGER NOT NULL CHECK (estimate_pence >= 0),   -- committed on approval
	actual_pence INTEGER CHECK (actual_pence >= 0),                 -- set on delivery
	refunded_pence INTEGER NOT NULL DEFAULT 0 CHECK (refunded_pence >= 0),
	status TEXT NOT NULL CHECK (status IN
		('requested','approved','declined','delivered','paid','cancelled')),
	reason TEXT NOT NULL,                     -- why the family needs it
	requested_by INTEGER REFERENCES users(id),
	requested_at TEXT NOT NULL,
	decided_by INTEGER REFERENCES users(id),
	decided_at TEXT,
	decision_note TEXT,
	overspend_override INTEGER NOT NULL DEFAULT 0,
	delivered_on TEXT,
	paid_on TEXT,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1,
	idem_key TEXT UNIQUE,
	CHECK ((kind = 'service') = (service_id IS NOT NULL))
);
CREATE INDEX commissions_case ON commissions(case_id);
CREATE INDEX commissions_budget ON commissions(budget_id, status);
-- The items of a household item grant (bed, cooker, school uniform …).
CREATE TABLE commission_items (
	id INTEGER PRIMARY KEY,
	commission_id INTEGER NOT NULL REFERENCES commissions(id),
	description TEXT NOT NULL,
	amount_pence INTEGER NOT NULL CHECK (amount_pence > 0)
);
CREATE INDEX commission_items_commission ON commission_items(commission_id);
-- Every move of a commission, never overwritten.
CREATE TABLE commission_events (
	id INTEGER PRIMARY KEY,
	commission_id INTEGER NOT NULL REFERENCES commissions(id),
	at TEXT NOT NULL,
	from_status TEXT,
	to_status TEXT NOT NULL,
	amount_pence INTEGER,
	note TEXT NOT NULL DEFAULT '',
	user_id INTEGER REFERENCES users(id)
);
CREATE INDEX commission_events_commission ON commission_events(commission_id, id);

-- Approval limits per role (pence; a request at or under it is approved at
-- once), and the hourly cost of worker time for cost per family.
INSERT INTO settings (key, value) VALUES
 ('commission.limit.worker', '25000'),
 ('commission.limit.coordinator', '500000'),
 ('cost.worker_hour_pence', '3200');
