// 91-commission.mjs — commissions in the browser.  The worker opens one of
// their open cases, finds "Services and grants", asks for a household item
// grant with an item cost that is not money (the GOV.UK error summary names
// the item, the values typed are kept), corrects it and, within their
// limit, sees it approved at once; a larger grant waits for approval.  The
// coordinator opens "Approvals", sees the budget's available figure and
// approves it; the commission page shows its history.  Every page passes
// axe.

export default async function (t) {
	let waitingRef = null   // "M-000123" of the grant that waits for approval
	await t.test('commissions: the worker requests household item grants from the family page',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'worker', { home: false })
			const api = await page.request.get(`${t.base}/api/v1/cases`)
			const open = (await api.json()).cases.filter(c => c.status === 'open')
			t.check(open.length > 0, 'the worker has no open case')
			await page.goto(`${t.base}/cases/${open[0].ref}`)
			t.check(await page.locator('h2#commissions').innerText() === 'Services and grants',
				'no "Services and grants" section')
			await page.locator('#commission-grant summary').click()
			const form = page.locator('#grant-form')
			await form.getByLabel('Item 1', { exact: true }).fill('Single bed and mattress')
			await form.getByLabel('Cost of item 1', { exact: true }).fill('forty pounds')
			const budget = form.getByLabel('Budget')
			const options = await budget.locator('option').allInnerTexts()
			const pooled = options.find(o => /pooled/i.test(o))
			t.check(pooled !== undefined, `no pooled budget offered: ${options.join(' | ')}`)
			// by value: the label carries what is available, which the first grant changes
			const pooledValue = await budget.locator('option', { hasText: pooled }).getAttribute('value')
			await budget.selectOption(pooledValue)
			await form.getByLabel('Why the family needs it').fill('The children share one mattress')
			await form.getByRole('button', { name: 'Request grant' }).click()
			await page.waitForLoadState('load')
			const summary = page.locator('.govuk-error-summary')
			t.check(await summary.count() === 1, 'no error summary for a cost that is not money')
			t.check(/cost of item 1/i.test(await summary.innerText()), 'the error does not name item 1')
			t.check(await page.getByLabel('Item 1', { exact: true }).inputValue() === 'Single bed and mattress',
				'the values typed were not kept')
			await t.axe(page, '/cases/{ref}/commissions (form with an error)')
			await page.getByLabel('Cost of item 1', { exact: true }).fill('£40.00')
			await page.getByRole('button', { name: 'Request grant' }).click()
			await page.waitForURL(/done=approved/)
			t.check(/Commission approved/.test(await page.locator('.govuk-notification-banner').first().innerText()),
				'no "Commission approved" banner')
			const table = await page.locator('#commissions-table').innerText()
			t.check(/Household item grant[\s\S]*Approved[\s\S]*£40\.00/.test(table), 'the grant is not in the table')
			await t.axe(page, '/cases/{ref} (commissions)')
			// above the worker's limit: it waits
			await page.locator('#commission-grant summary').click()
			await form.getByLabel('Item 1', { exact: true }).fill('Washing machine')
			await form.getByLabel('Cost of item 1', { exact: true }).fill('399.99')
			await form.getByLabel('Budget').selectOption(pooledValue)
			await form.getByLabel('Why the family needs it').fill('The washing machine broke')
			await form.getByRole('button', { name: 'Request grant' }).click()
			await page.waitForURL(/done=requested/)
			const m = /#commission-(M-\d+)/.exec(page.url())
			t.check(m !== null, 'the redirect does not name the commission')
			waitingRef = m[1]
			await page.goto(`${t.base}/commissions/${waitingRef}`)
			t.check(await t.h1Text(page) === `Commission ${waitingRef}`, 'the commission page has the wrong heading')
			t.check(/Waiting for approval/.test(await page.locator('#commission-summary').innerText()),
				'the commission is not waiting for approval')
			await t.axe(page, '/commissions/{ref}')
		} finally {
			await context.close()
		}
	})

	await t.test('commissions: the coordinator approves from /approvals', ['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			t.check(waitingRef !== null, 'no waiting grant was made')
			await t.signIn(page, 'coordinator')
			await page.getByRole('link', { name: 'Approvals', exact: true }).click()
			await page.waitForURL(`${t.base}/approvals`)
			t.check(await t.h1Text(page) === 'Approvals', 'the heading is not "Approvals"')
			await t.axe(page, '/approvals')
			const card = page.locator(`#approval-${waitingRef}`)
			t.check(await card.count() === 1, `${waitingRef} is not on /approvals`)
			t.check(/Available now/.test(await card.innerText()), 'the available figure is not shown')
			await card.getByRole('button', { name: 'Save decision' }).click()
			await page.waitForURL(/\/approvals\?done=approved/)
			t.check(await page.locator(`#approval-${waitingRef}`).count() === 0, 'the approved grant is still listed')
			await page.goto(`${t.base}/commissions/${waitingRef}`)
			const history = await page.locator('#history-table').innerText()
			t.check(/Requested[\s\S]*Approved/.test(history), 'the history does not show the approval')
			t.check(await page.locator('#deliver-form').count() === 1, 'no form to record delivery')
			await t.axe(page, '/commissions/{ref} (approved)')
			await t.shot(page, 'commission')
		} finally {
			await context.close()
		}
	})
}
