// 50-assess.mjs — the demo worker assesses a family in the browser: from the
// family record's "Assessment" section opens the form (one fieldset per
// side of the triangle, a 1–10 scale per domain), sends it with one domain
// unscored (GOV.UK error summary linking to that domain's first radio),
// scores it and records the assessment (success banner, the scores by
// side); back on the family record, the distance travelled chart is an
// accessible SVG (role="img", <title>, <desc>) with the same numbers in a
// table, and it is still there when the page is printed.  The admin's
// domain list page is checked too.  Every page passes axe.
//
// The case is an open case of the demo worker (from the API).  So that the
// chart has two assessments to compare, a baseline is recorded first
// through the API when the case has none.

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

const CODES = ['health', 'emotional_behavioural', 'learning', 'identity', 'relationships', 'self_care',
	'basic_care', 'safety', 'warmth', 'boundaries', 'stimulation', 'family_functioning', 'wider_family',
	'housing', 'work_income', 'community']

// The radio for score n of a domain: the first radio's id is "score.<code>".
function radio(page, code, n) {
	return page.locator(`[id="score.${code}${n === 1 ? '' : '-' + n}"]`)
}

// Tick score n of every domain but skip (under load, one evaluate instead
// of fifteen clicks keeps the test inside its time limit).
async function scoreAll(page, n, skip) {
	await page.evaluate(([codes, n, skip]) => {
		for (const c of codes)
			if (c !== skip)
				document.getElementById(`score.${c}-${n}`).checked = true
	}, [CODES, n, skip])
}

// An open case of the demo worker with at least one assessment (a baseline
// recorded through the API if it has none), so the chart has two to compare.
async function caseWithBaseline(t) {
	const ws = await apiSession(t, 'worker')
	const mine = await api(t, ws, 'GET', '/api/v1/cases')
	t.check(mine.status === 200 && mine.json.cases.length > 0, `the demo worker has no open case (${mine.status})`)
	const ref = mine.json.cases[0].ref
	const before = await api(t, ws, 'GET', `/api/v1/cases/${ref}/assessments`)
	t.check(before.status === 200, `GET assessments gave ${before.status}`)
	if (before.json.assessments.length === 0) {
		const opened = (await api(t, ws, 'GET', `/api/v1/cases/${ref}`)).json.case.opened_on
		const base = await api(t, ws, 'POST', `/api/v1/cases/${ref}/assessments`, {
			assessed_on: opened, kind: 'initial', agreed_with: 'Mum',
			scores: CODES.map(c => ({ domain: c, score: 3 })),
		})
		t.check(base.status === 201, `the baseline gave ${base.status}: ${JSON.stringify(base.json)}`)
	}
	return ref
}

export default async function (t) {
	let ref = null

	await t.test('the assessment form has a scale per domain and names an unscored one', ['server', 'browser'], async () => {
		ref = await caseWithBaseline(t)
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'worker', { home: false })
			await page.goto(`${t.base}/cases/${ref}`)
			t.check(await page.locator('#assessment').count() === 1, 'no Assessment section')
			await page.getByRole('button', { name: /Record (the first assessment|a re-assessment)/ }).click()
			await page.waitForURL(`${t.base}/cases/${ref}/assessments/new`)
			t.check(/assess the family/i.test(await t.h1Text(page)), 'the form has no "assess" heading')
			const legends = await page.locator('legend h2').allInnerTexts()
			t.check(legends.join('|') === "Child's developmental needs|Parenting capacity|Family and environmental factors",
				`the sides are ${legends.join('|')}`)
			t.check(await page.locator('input[type=radio][name^="score."]').count() === 160, 'not 16 scales of 10')
			t.check((await page.locator('[id="score.housing-hint"]').innerText()).startsWith('1: '), 'no hint of the scale')
			await t.axe(page, 'assessment form')

			await page.locator('#agreed_with').fill('Mum and the eldest')
			await scoreAll(page, 6, 'housing')
			await radio(page, 'health', 5).check()
			await page.locator('[id="needs.housing"]').fill('Damp flat; landlord not answering')
			await page.getByRole('button', { name: 'Record assessment' }).click()
			await page.waitForLoadState()
			const summary = page.locator('.govuk-error-summary')
			t.check(await summary.count() === 1, 'no error summary for the unscored domain')
			t.check((await summary.innerText()).includes('Choose a score from 1 to 10 for Housing'),
				`the summary says ${await summary.innerText()}`)
			t.check(await summary.locator('a[href="#score.housing"]').count() === 1, 'the summary does not link to Housing')
			t.check(await radio(page, 'health', 5).isChecked(), 'the scores were not kept')
			t.check(await page.locator('[id="needs.housing"]').inputValue() === 'Damp flat; landlord not answering',
				'the needs were not kept')
			await t.axe(page, 'assessment form with an error')
			await t.shot(page, 'assess-error')
		} finally {
			await context.close()
		}
	})

	await t.test('the demo worker records an assessment', ['server', 'browser'], async () => {
		t.check(ref, 'no case from the previous test')
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'worker', { home: false })
			await page.goto(`${t.base}/cases/${ref}/assessments/new`)
			await page.locator('#agreed_with').fill('Mum and the eldest')
			await scoreAll(page, 6, 'housing')
			await radio(page, 'housing', 8).check()
			await page.locator('[id="needs.housing"]').fill('Damp flat; landlord not answering')
			await page.getByRole('button', { name: 'Record assessment' }).click()
			await page.waitForURL(/\/assessments\/\d+\?done=1$/)
			t.check((await page.locator('.govuk-notification-banner').innerText()).includes('Assessment recorded'),
				'no confirmation')
			const housing = await page.locator('table tr', { hasText: 'Housing' }).first().innerText()
			t.check(/8/.test(housing) && housing.includes('Damp flat'), `the Housing row is "${housing}"`)
			await t.axe(page, 'one assessment')
			await t.shot(page, 'assess-one')
		} finally {
			await context.close()
		}
	})

	await t.test('the family record shows the distance travelled, on screen and in print', ['server', 'browser'], async () => {
		t.check(ref, 'no case from the previous test')
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'worker', { home: false })
			await page.goto(`${t.base}/cases/${ref}#assessment`)
			const svg = page.locator('.app-chart-wrap svg[role="img"]').first()
			t.check(await svg.count() === 1, 'no distance travelled chart')
			const [titleId, descId] = (await svg.getAttribute('aria-labelledby')).split(' ')
			t.check(/Distance travelled/.test(await page.locator(`[id="${titleId}"]`).textContent()), 'the chart has no title')
			t.check(/Higher is better/.test(await page.locator(`[id="${descId}"]`).textContent()), 'the chart has no desc')
			const row = await page.locator('.app-chart-table tr', { hasText: 'Housing' }).innerText()
			t.check(/\b8\b/.test(row), `the table's Housing row is "${row}"`)
			await t.axe(page, 'family record with the distance travelled')
			await t.shot(page, 'assess-distance')
			await page.emulateMedia({ media: 'print' })
			const box = await svg.boundingBox()
			t.check(box && box.width > 200 && box.height > 200, `the chart does not print: ${JSON.stringify(box)}`)
			await t.shot(page, 'assess-distance-print')
		} finally {
			await context.close()
		}
	})

	await t.test('the admin sees the assessment domain list', ['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'admin', { home: false })
			await page.goto(`${t.base}/assessment/domains`)
			t.check(await t.h1Text(page) === 'Assessment domains', 'wrong heading')
			t.check(await page.locator('input[name="title"][value="Housing"]').count() === 1, 'Housing is not listed')
			await t.axe(page, 'assessment domains')
			await t.shot(page, 'assess-domains')
		} finally {
			await context.close()
		}
	})
}
