// 90-budget.mjs — budgets and the service catalogue, in the browser.  The
// coordinator opens "Budgets" from the menu, creates the partnership's
// pooled budget with its funding sources (a mismatch first: the GOV.UK
// error summary says the sources do not add up, the values typed are
// kept), then sees the budget's position and each source's share; the
// school user sees only their own school's budgets and gets 404 for the
// pooled one.  The coordinator adds a provider and a service to the
// catalogue, which a worker then sees without the forms.  Every page
// passes axe.

export default async function (t) {
	let pooledPath = null   // "/budgets/N" of the pooled budget made below
	await t.test('budgets: the coordinator creates a pooled budget with its funding sources',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'coordinator')
			await page.getByRole('link', { name: 'Budgets', exact: true }).click()
			await page.waitForURL(`${t.base}/budgets`)
			t.check(await t.h1Text(page) === 'Budgets', 'the heading is not "Budgets"')
			await t.axe(page, '/budgets')
			await page.getByRole('link', { name: 'Create a budget' }).click()
			await page.waitForURL(`${t.base}/budgets/new`)
			await page.getByLabel('Name').fill('Browser pooled budget')
			await page.getByLabel('Who holds it').selectOption('partnership')
			await page.getByLabel('Period').selectOption('financial')
			await page.getByLabel('The year it starts').fill('2026')
			await page.getByLabel('Amount').fill('£9,100,000.00')
			await page.getByLabel('Source 1', { exact: true }).fill('DSG transfer')
			await page.getByLabel('Contribution 1', { exact: true }).fill('1,440,000')
			await page.getByLabel('Source 2', { exact: true }).fill('City Council')
			await page.getByLabel('Contribution 2', { exact: true }).fill('7,000,000')
			await page.getByRole('button', { name: 'Create budget' }).click()
			await page.waitForLoadState('load')
			const summary = page.locator('.govuk-error-summary')
			t.check(await summary.count() === 1, 'no error summary for sources that do not add up')
			t.check(/add up to £8,440,000\.00 but the budget is £9,100,000\.00/.test(await summary.innerText()),
				'the error does not give both figures')
			t.check(await page.getByLabel('Source 1', { exact: true }).inputValue() === 'DSG transfer',
				'the values typed were not kept')
			await t.axe(page, '/budgets (form with an error)')
			await page.getByLabel('Source 3', { exact: true }).fill('Pilot grant')
			await page.getByLabel('Contribution 3', { exact: true }).fill('660000')
			await page.getByRole('button', { name: 'Create budget' }).click()
			await page.waitForURL(/\/budgets\/\d+$/)
			pooledPath = new URL(page.url()).pathname
			t.check(await t.h1Text(page) === 'Browser pooled budget', 'the budget page has the wrong heading')
			const pos = await page.locator('.hearth-budget-position').innerText()
			t.check(/£9,100,000\.00/.test(pos), 'the amount is not shown')
			t.check(/Available\s+£9,100,000\.00/.test(pos), 'the available figure is not the amount')
			const sources = await page.locator('table').first().innerText()
			t.check(/DSG transfer\s+£1,440,000\.00\s+15\.8%/.test(sources), 'the DSG share is not 15.8%')
			await t.axe(page, '/budgets/{id}')
			await t.shot(page, 'budget')
		} finally {
			await context.close()
		}
	})

	await t.test('budgets: a school user sees only its own school\'s budgets', ['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'school', { home: false })
			const res = await page.goto(`${t.base}/budgets`)
			t.check(res.status() === 200, `/budgets answered ${res.status()}`)
			t.check(await page.getByText('Browser pooled budget').count() === 0,
				'the school user sees the pooled budget')
			const api = await page.request.get(`${t.base}/api/v1/budgets`)
			const mine = (await api.json()).budgets
			t.check(mine.every(b => b.owner.kind === 'school'), 'the API lists a budget that is not a school\'s')
			t.check(pooledPath !== null, 'the pooled budget was not created')
			const other = await page.goto(`${t.base}${pooledPath}`)
			t.check(other.status() === 404, `the pooled budget answered ${other.status()}, expected 404`)
			await page.goto(`${t.base}/budgets`)
			await t.axe(page, '/budgets (school)')
		} finally {
			await context.close()
		}
	})

	await t.test('catalogue: the coordinator adds a provider and a service; a worker sees it',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'coordinator')
			await page.getByRole('link', { name: 'Services', exact: true }).click()
			await page.waitForURL(`${t.base}/catalogue`)
			t.check(await t.h1Text(page) === 'Services to commission', 'the catalogue heading is wrong')
			await page.getByLabel('Provider name').fill('Browser Mediation CIC')
			await page.getByRole('button', { name: 'Add provider' }).click()
			await page.waitForURL(`${t.base}/catalogue#add-service`)
			await page.getByLabel('Provider', { exact: true }).selectOption({ label: 'Browser Mediation CIC' })
			await page.getByLabel('Service name').fill('Browser family mediation')
			await page.getByLabel('Kind of service').selectOption('mediation')
			await page.getByLabel('Sold by the').selectOption('session')
			await page.getByLabel('Cost of one unit (pounds)').fill('90.1')
			await page.getByLabel(/An exit route/).check()
			await page.getByRole('button', { name: 'Add service' }).click()
			await page.waitForURL(`${t.base}/catalogue`)
			const row = page.locator('tr').filter({ hasText: 'Browser family mediation' })
			t.check(await row.count() === 1, 'the new service is not listed')
			t.check(/£90\.10/.test(await row.innerText()), 'the unit cost is not £90.10')
			t.check(/Exit route/i.test(await row.innerText()), 'the exit route tag is missing')
			await t.axe(page, '/catalogue (coordinator)')
			await t.shot(page, 'catalogue')
		} finally {
			await context.close()
		}
		const w = await t.newPage()
		try {
			await t.signIn(w.page, 'worker', { home: false })
			await w.page.goto(`${t.base}/catalogue`)
			t.check(await w.page.getByText('Browser family mediation').count() === 1,
				'the worker does not see the new service')
			t.check(await w.page.getByRole('button', { name: 'Add service' }).count() === 0,
				'the worker sees the form to add a service')
			await t.axe(w.page, '/catalogue (worker)')
		} finally {
			await w.context.close()
		}
	})
}
