// 30-case.mjs — the demo worker works a case in the browser: opens the
// family record at /cases/{ref} (summary card, members, chronology), opens
// "Record a contact", records a home visit through the form, and sees it
// at the top of the chronology with a success banner.  Both pages pass axe.
//
// So as not to depend on what the demo seeded, it uses an open case of the
// demo worker if the API lists one; otherwise it makes one: the demo
// worker gets a worker profile (through the coordinator's form) if they
// have none, the demo school refers a pupil from its risk list, and the
// coordinator accepts the referral and allocates the demo worker.

async function apiSession(t, role) {
	const r = await fetch(`${t.base}/api/v1/session`, {
		method: 'POST', headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ email: t.email(role), password: 'hearth-demo-password' }),
	})
	t.check(r.status === 200, `API sign-in as ${role} gave ${r.status}`)
	const cookie = (r.headers.get('set-cookie') || '').split(';')[0]
	const body = await r.json()
	return { cookie, csrf: body.csrf_token, user: body.user }
}

async function api(t, s, method, path, body) {
	const r = await fetch(`${t.base}${path}`, {
		method, headers: { 'Content-Type': 'application/json', Cookie: s.cookie, 'X-CSRF-Token': s.csrf },
		body: body ? JSON.stringify(body) : undefined,
	})
	let json = null
	try { json = await r.json() } catch (e) { json = null }
	return { status: r.status, json }
}

// POST a form as session s (the page routes take the CSRF token as a field).
async function postForm(t, s, path, fields) {
	const body = new URLSearchParams({ ...fields, csrf_token: s.csrf })
	return fetch(`${t.base}${path}`, {
		method: 'POST', redirect: 'manual',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: s.cookie },
		body: body.toString(),
	})
}

// The demo worker's worker id: a new profile linked to their user, or
// (if they have one already) the profile named after them.
async function workerId(t, coord, user) {
	const r = await postForm(t, coord, '/workers', {
		name: user.name, employer: 'City Council Early Help', kind: 'family_support',
		hours_per_week: '37', user_id: String(user.id),
	})
	const loc = r.headers.get('location') || ''
	if (r.status === 303 && /\/workers\/\d+$/.test(loc))
		return Number(loc.split('/').pop())
	const list = await api(t, coord, 'GET', '/api/v1/workers')
	const w = (list.json && list.json.workers || []).find(x => x.name === user.name)
	t.check(w, `the demo worker has no profile and none could be made (${r.status})`)
	return w.id
}

// A new case for the demo worker; returns its ref.
async function makeCase(t, ws) {
	const school = await apiSession(t, 'school')
	const risk = await api(t, school, 'GET', '/api/v1/risk?limit=50')
	t.check(risk.status === 200 && risk.json.pupils.length > 0, `the school has no pupils (${risk.status})`)
	const pupil = risk.json.pupils[Math.floor(risk.json.pupils.length / 2)]
	const today = new Date().toISOString().slice(0, 10)
	const ref = await api(t, school, 'POST', '/api/v1/referrals', {
		upns: [pupil.upn], needs: ['attendance', 'parenting'], level_of_need: 2,
		reason: 'Browser test: mornings are hard and attendance is slipping.',
		consent: { basis: 'consent', given_by: 'A Parent', relationship: 'mother', scope: ['pool', 'school'],
			given_on: today },
	})
	t.check(ref.status === 201, `POST /api/v1/referrals gave ${ref.status}: ${JSON.stringify(ref.json)}`)
	const rref = ref.json.referral.ref
	const coord = await apiSession(t, 'coordinator')
	const wid = await workerId(t, coord, ws.user)
	const d = await api(t, coord, 'POST', `/api/v1/referrals/${rref}/decision`,
		{ decision: 'accept', version: 1, worker_id: wid, intensity: 2, override_capacity: true,
		  note: 'Browser test allocation' })
	t.check(d.status === 200 || d.status === 201, `accepting ${rref} gave ${d.status}: ${JSON.stringify(d.json)}`)
	const cases = await api(t, ws, 'GET', '/api/v1/cases')
	t.check(cases.status === 200 && cases.json.cases.length > 0, 'the new case is not in the worker\'s list')
	return cases.json.cases[0].ref
}

// The local time a minute ago as HH:MM (not before midnight).
function minuteAgo() {
	const d = new Date(Date.now() - 60000)
	const now = new Date()
	if (d.getDate() !== now.getDate())
		return '00:00'
	return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`
}

function localToday() {
	const d = new Date()
	return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

export default async function (t) {
	await t.test('the demo worker records a home visit on the family record', ['server', 'browser'], async () => {
		const ws = await apiSession(t, 'worker')
		const mine = await api(t, ws, 'GET', '/api/v1/cases')
		t.check(mine.status === 200, `GET /api/v1/cases as the worker gave ${mine.status}`)
		const ref = mine.json.cases.length > 0 ? mine.json.cases[0].ref : await makeCase(t, ws)

		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'worker', { home: false })
			await page.goto(`${t.base}/cases/${ref}`)
			const family = await t.h1Text(page)
			t.check(/family/i.test(family), `the family record's heading is "${family}"`)
			const card = await page.locator('.govuk-summary-card').innerText()
			for (const key of ['Address', 'Home language', 'Lead worker', 'Status', 'Opened', 'Next review', 'Consent'])
				t.check(card.includes(key), `the summary card has no "${key}"`)
			t.check(await page.locator('#members + table, #members ~ table').count() > 0, 'no members table')
			t.check(await page.locator('#chronology').count() === 1, 'no chronology')
			await t.axe(page, 'family record')
			await t.shot(page, 'case-record')

			const note = `Browser test visit ${Date.now()}: talked through the morning routine.`
			await page.locator('#contact-form summary').click()
			await page.locator('#contact-kind').check()         // the first radio: Home visit
			await page.locator('#contact-date').fill(localToday())
			await page.locator('#contact-time').fill(minuteAgo())
			await page.locator('#contact-duration-min').fill('45')
			await page.locator('#contact-seen').fill('Mum and the children')
			await page.locator('#contact-place').fill('Family home')
			await page.locator('#contact-notes').fill(note)
			await page.getByRole('button', { name: 'Record contact' }).click()
			await page.waitForURL(`${t.base}/cases/${ref}?done=contact`)

			const banner = await page.locator('.govuk-notification-banner').innerText()
			t.check(banner.includes('Contact recorded'), `no confirmation: ${banner}`)
			const first = page.locator('#chronology-table tbody tr').first()
			const text = await first.innerText()
			t.check(text.includes('Home visit') && text.includes('45 minutes') && text.includes(note),
				`the visit is not at the top of the chronology: ${text}`)
			t.check(await first.locator('.govuk-tag').innerText() === 'Home visit', 'the kind is not a tag')
			await t.axe(page, 'family record after a contact')
			await t.shot(page, 'case-contact')
		} finally {
			await context.close()
		}
	})
}
