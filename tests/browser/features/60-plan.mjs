// 60-plan.mjs — the family's plan, in the browser.  The demo worker Sam
// Whitfield opens a family from "My caseload"; the family record has a
// plan section with the three owner groups.  Sam adds an action with
// nothing filled in (the error summary names the fields), then the
// family's own commitment properly (it appears under "What the family will
// do" with its need, due date and status), records progress on it from the
// family page, records a review with progress on every open action, and
// opens the printable plan: no service navigation, header or footer, and
// printed (print media, and a PDF in tests/browser/output/) the forms and
// links are gone and the status tags still read.  Every page passes axe.

const STAMP = Date.now().toString(36)

function today() {
	const d = new Date()
	const p = n => String(n).padStart(2, '0')
	return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
}

async function openFirstCase(t, page) {
	await page.goto(`${t.base}/caseload`)
	const href = await page.locator('#caseload tbody tr a').first().getAttribute('href')
	t.check(/^\/cases\/C-\d{6}$/.test(href || ''), `case link ${href}`)
	await page.goto(`${t.base}${href}`)
	return href
}

export default async function (t) {
	let href = null
	const what = `Walk the children to school by 8:45 every day (${STAMP})`

	await t.test('plan: the family record has the plan; adding an action names bad fields, then adds it',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'worker', { home: false })
			href = await openFirstCase(t, page)
			const plan = page.locator('#plan')
			t.check(await plan.innerText() === 'The plan', 'no "The plan" heading on the family record')
			for (const h of ['What we will do', 'What the family will do', 'What other services will do'])
				t.check(await page.getByRole('heading', { name: h, level: 3 }).count() === 1, `no "${h}" group`)

			// Nothing filled in: the add page shows the errors, naming the fields.
			await page.getByText('Add an action to the plan', { exact: true }).click()
			await page.getByRole('button', { name: 'Add action' }).click()
			await page.waitForURL(`${t.base}${href}/actions`)
			await page.locator('.govuk-error-summary a[href="#description"]').waitFor({ state: 'visible' })
			t.check(await t.h1Text(page) === 'Add an action to the plan', 'not the add-an-action page')
			await t.axe(page, 'add an action, with an error')

			// The family's own commitment.
			await page.getByLabel('What will be done').fill(what)
			const need = await page.locator('#need option:not([value=""])').first().getAttribute('value')
			await page.locator('#need').selectOption(need)
			const owner = await page.locator('#owner optgroup[label="The family"] option').first()
				.getAttribute('value')
			t.check(/^family:\d+$/.test(owner || ''), 'no family member to own the action')
			await page.locator('#owner').selectOption(owner)
			await page.getByLabel('Due by').fill(today())
			await page.getByRole('button', { name: 'Add action' }).click()
			await page.waitForURL(new RegExp(`${href}\\?done=action`))
			t.check(await page.getByText('Action added to the plan').count() === 1, 'no success banner')
			const row = page.locator('#plan-table-family tbody tr', { hasText: what })
			t.check(await row.count() === 1, 'the action is not under "What the family will do"')
			t.check(/Not started/.test(await row.innerText()), 'the new action is not "Not started"')
			t.check(/Addresses: /.test(await row.innerText()), 'the need is not shown')
			await t.axe(page, 'family record with the plan')
			await t.shot(page, 'plan-family-record')
		} finally {
			await context.close()
		}
	})

	await t.test('plan: progress on an action from the family record', ['server', 'browser'], async () => {
		t.check(href, 'no case from the previous test')
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'worker', { home: false })
			await page.goto(`${t.base}${href}`)
			const row = page.locator('#plan-table-family tbody tr', { hasText: what })
			await row.locator('summary').click()
			await row.getByLabel('Status').selectOption('in_progress')
			await row.getByLabel('Progress').fill('Three mornings out of five so far')
			await row.getByRole('button', { name: 'Save update' }).click()
			await page.waitForURL(new RegExp(`${href}\\?done=action_update`))
			const row2 = page.locator('#plan-table-family tbody tr', { hasText: what })
			t.check(/In progress/.test(await row2.innerText()), 'the status did not change')
			t.check(/Three mornings out of five so far/.test(await row2.innerText()), 'no latest progress')
		} finally {
			await context.close()
		}
	})

	await t.test('plan: a review records progress on every open action', ['server', 'browser'], async () => {
		t.check(href, 'no case from the first test')
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'worker', { home: false })
			await page.goto(`${t.base}${href}`)
			await page.getByRole('link', { name: 'Record a review' }).click()
			await page.waitForURL(`${t.base}${href}/reviews/new`)
			await t.axe(page, 'review form')
			await page.getByLabel('What the review found and agreed').fill(`Mornings are better (${STAMP})`)
			await page.getByLabel("The family's view").fill('They feel the plan is working')
			const progress = page.locator('textarea[name^="progress."]')
			const n = await progress.count()
			t.check(n >= 1, 'no open action on the review form')
			for (let i = 0; i < n; i++)
				await progress.nth(i).fill('Reviewed together')
			await page.getByRole('button', { name: 'Record review' }).click()
			await page.waitForURL(new RegExp(`${href}\\?done=plan_review`))
			t.check(await page.getByText('Review recorded').count() === 1, 'no "Review recorded" banner')
			t.check(await page.locator('#reviews-table tbody tr', { hasText: STAMP }).count() === 1,
				'the review is not listed')
		} finally {
			await context.close()
		}
	})

	await t.test('plan: the printable plan has no service chrome and prints cleanly', ['server', 'browser'], async () => {
		t.check(href, 'no case from the first test')
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'worker', { home: false })
			await page.goto(`${t.base}${href}`)
			await page.getByRole('link', { name: 'Print the plan for the family' }).click()
			await page.waitForURL(`${t.base}${href}/plan`)
			t.check(await t.h1Text(page) === 'Our family plan', 'the plan heading is not "Our family plan"')
			t.check(await page.locator('.govuk-service-navigation, .govuk-footer, .hearth-account').count() === 0,
				'the printable plan has the service chrome')
			t.check(await page.getByText(what).count() === 1, 'the action is not on the printable plan')
			await t.axe(page, 'printable plan')
			await page.emulateMedia({ media: 'print' })
			t.check(!(await page.locator('.hearth-no-print').first().isVisible()), 'the back link prints')
			const border = await page.locator('.govuk-tag').first().evaluate(e => getComputedStyle(e).borderTopStyle)
			t.check(border === 'solid', `a status tag prints without its outline (${border})`)
			await t.shot(page, 'plan-print')
			await page.pdf({ path: new URL('../output/plan.pdf', import.meta.url).pathname, format: 'A4' })
		} finally {
			await context.close()
		}
	})
}
