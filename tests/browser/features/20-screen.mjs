// 20-screen.mjs — the coordinator screens a referral in the browser: the
// queue shows waiting time, level of need, school and needs; the referral
// page shows what the school said, consent and the suggested workers with
// the reason for each; the coordinator allocates the top suggestion (the
// select list has it chosen already) and the queue no longer lists the
// referral.  Every page passes axe.
//
// So as not to depend on what the demo seeded, it makes its own referral
// through the API as the demo school user (a pupil of theirs from the risk
// list) and, if the pool is empty, adds a worker through the form.

// A signed-in API session for role: { cookie, csrf }.
async function apiSession(t, role) {
	const r = await fetch(`${t.base}/api/v1/session`, {
		method: 'POST', headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ email: t.email(role), password: 'hearth-demo-password' }),
	})
	t.check(r.status === 200, `API sign-in as ${role} gave ${r.status}`)
	const cookie = (r.headers.get('set-cookie') || '').split(';')[0]
	const body = await r.json()
	return { cookie, csrf: body.csrf_token }
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

// A new referral made by the demo school; returns its ref.
async function makeReferral(t) {
	const s = await apiSession(t, 'school')
	const risk = await api(t, s, 'GET', '/api/v1/risk?limit=50')
	t.check(risk.status === 200 && risk.json.pupils.length > 0, `the school has no pupils (${risk.status})`)
	const pupil = risk.json.pupils[risk.json.pupils.length - 1]
	const today = new Date().toISOString().slice(0, 10)
	const r = await api(t, s, 'POST', '/api/v1/referrals', {
		source: 'school', upns: [pupil.upn], needs: 'attendance,emotional_health', level_of_need: 3,
		reason: 'Browser test: attendance has fallen sharply this term.', tried: 'Meetings with parents',
		consent: { basis: 'consent', given_by: 'A Parent', relationship: 'mother', scope: 'pool,school',
			given_on: today },
	})
	t.check(r.status === 201, `POST /api/v1/referrals gave ${r.status}: ${JSON.stringify(r.json)}`)
	return r.json.referral.ref
}

// Make sure the pool has at least one worker, through the form.
async function ensureWorker(t, page) {
	await page.goto(`${t.base}/workers`)
	if (await page.locator('#workers').count() > 0)
		return
	await page.goto(`${t.base}/workers/new`)
	await page.getByLabel('Full name').fill('Browser Pool Worker')
	await page.getByLabel('Employer').fill('City Council Early Help')
	await page.getByLabel('Languages other than English, separated by commas').fill('Polish')
	await page.getByLabel('Attendance', { exact: true }).check()
	await page.getByRole('button', { name: 'Add worker' }).click()
	await page.waitForURL(/\/workers\/\d+$/)
}

// Run fn(page) on a new page signed in as the coordinator.
async function asCoordinator(t, fn) {
	const { context, page } = await t.newPage()
	try {
		await t.signIn(page, 'coordinator', { home: false })
		await fn(page)
	} finally {
		await context.close()
	}
}

export default async function (t) {
	let ref = null, topId = null, topName = null
	const needs = ['server', 'browser']

	await t.test('screening queue lists a new referral with its wait, level, school and needs', needs, async () => {
		ref = await makeReferral(t)
		await asCoordinator(t, async page => {
			await ensureWorker(t, page)
			await page.goto(`${t.base}/screening`)
			t.check(await t.h1Text(page) === 'Screening', 'the queue\'s heading is not "Screening"')
			const row = page.locator('#queue tbody tr', { has: page.locator(`a[href="/screening/${ref}"]`) })
			t.check(await row.count() === 1, `the queue does not list ${ref}`)
			const rowText = await row.innerText()
			t.check(/Waiting \d+ days?/.test(rowText), `no waiting time in the row: ${rowText}`)
			t.check(rowText.includes('Attendance'), `no needs in the row: ${rowText}`)
			t.check(/\b3\b/.test(rowText), `no level of need in the row: ${rowText}`)
			await t.axe(page, 'screening queue')
			await t.shot(page, 'screen-queue')
		})
	})

	await t.test('the referral page shows the referral, its consent and suggestions with reasons', needs, async () => {
		t.check(ref, 'no referral (the previous test failed)')
		await asCoordinator(t, async page => {
			await page.goto(`${t.base}/screening`)
			await page.locator(`#queue a[href="/screening/${ref}"]`).click()
			await page.waitForURL(`${t.base}/screening/${ref}`)
			t.check(await t.h1Text(page) === `Referral ${ref}`, 'the referral page heading is wrong')
			const body = await page.locator('main').innerText()
			t.check(body.includes('Browser test: attendance has fallen sharply this term.'),
				'the school\'s reason is not shown')
			t.check(body.includes('A Parent'), 'the consent is not shown')
			const first = page.locator('#suggestions tbody tr').first()
			t.check(await first.count() === 1, 'no suggested workers')
			const reasons = await first.locator('.hearth-reasons li').allInnerTexts()
			t.check(reasons.length > 0 && /weighted places (free|used)/.test(reasons[0]),
				`the top suggestion gives no reason: ${reasons.join('; ')}`)
			t.check(/\d+ of \d+ weighted places used/.test(await first.innerText()),
				'the top suggestion does not show the load')
			const a = first.locator('a[href^="/workers/"]')
			topId = (await a.getAttribute('href')).split('/').pop()
			topName = (await a.innerText()).trim()
			t.check(await page.locator('#worker_id').inputValue() === topId,
				'the worker list does not have the top suggestion chosen')
			await t.axe(page, 'referral screening page')
			await t.shot(page, 'screen-referral')
		})
	})

	await t.test('allocating the top suggestion takes the referral off the queue', needs, async () => {
		t.check(ref && topId, 'no referral or suggestion (a previous test failed)')
		await asCoordinator(t, async page => {
			await page.goto(`${t.base}/screening/${ref}`)
			t.check(await page.locator('#worker_id').inputValue() === topId,
				'the top suggestion is not chosen')
			await page.getByRole('button', { name: 'Accept and allocate' }).click()
			await page.waitForURL(`${t.base}/screening?decided=${ref}`)
			const banner = await page.locator('.govuk-notification-banner').innerText()
			t.check(banner.includes(`${ref}: Accepted`) && banner.includes(topName),
				`the confirmation does not say who was allocated: ${banner}`)
			t.check(await page.locator(`#queue a[href="/screening/${ref}"]`).count() === 0,
				`the queue still lists ${ref}`)
			await t.axe(page, 'screening queue after a decision')
		})
	})
}
