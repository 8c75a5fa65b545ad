// 99-survey.mjs — a survey of school leaders, in the browser, end to end
// through the forms (no API): the coordinator writes a survey (a refused
// form shows the error summary linking to the field), opens it; the
// school leader answers with radios and a text area (a missed statement is
// named and the answer kept); the results page shows the response rate of
// secondaries as 1 over their number and the answer's average, and the
// free text; the viewer's results say "fewer than 5" and hold no free
// text; the CSV agrees with the page.  Every page passes axe.

export default async function (t) {
	await t.test('survey: written, opened, answered and reported by school type',
		['server', 'browser'], async () => {
		const title = `Browser survey ${Date.now()}`
		let id = null
		{
			const { context, page } = await t.newPage()
			try {
				await t.signIn(page, 'coordinator', { home: false })
				await page.goto(`${t.base}/surveys`)
				t.check(await t.h1Text(page) === 'Surveys of school leaders', 'no surveys page')
				await page.locator('#survey-new').click()
				await page.waitForURL(`${t.base}/surveys/new`)
				await t.axe(page, '/surveys/new')
				// no title: refused, naming it
				await page.getByLabel('Question 1', { exact: true }).fill('Referring a family is straightforward.')
				await page.getByRole('button', { name: 'Save the draft' }).click()
				t.check(await page.locator('.govuk-error-summary').count() === 1, 'no error summary')
				t.check(await page.locator('.govuk-error-summary a[href="#title"]').count() === 1,
					'the error summary does not link to the title')
				await t.axe(page, '/surveys (refused)')
				await page.getByLabel('Title').fill(title)
				await page.getByLabel('Kind of question 2').selectOption('text')
				await page.getByLabel('Question 2', { exact: true }).fill('What one change would help?')
				await page.getByRole('button', { name: 'Save the draft' }).click()
				await page.waitForURL(/\/surveys\/\d+$/)
				id = /\/surveys\/(\d+)$/.exec(page.url())[1]
				t.check(await t.h1Text(page) === title, 'the survey page has not the title')
				t.check(await page.locator('#questions li').count() === 2, 'not two questions')
				await t.axe(page, `/surveys/${id}`)
				await page.locator('#survey-open').click()
				await page.waitForURL(`${t.base}/surveys/${id}`)
				t.check((await page.locator('#survey-status').innerText()).trim() === 'Open',
					'the survey did not open')
				t.check(await page.locator('#survey-edit').count() === 0, 'an open survey can be changed')
				await t.shot(page, 'survey')
			} finally {
				await context.close()
			}
		}
		{
			const { context, page } = await t.newPage()
			try {
				await t.signIn(page, 'school', { home: false })
				await page.goto(`${t.base}/surveys/${id}`)
				await page.locator('#survey-respond').click()
				await page.waitForURL(`${t.base}/surveys/${id}/respond`)
				await page.locator('#q2').fill('A named worker for our cluster.')
				await page.getByRole('button', { name: 'Send your answers' }).click()
				t.check(await page.locator('.govuk-error-summary a[href="#q1"]').count() === 1,
					'a missed statement is not named')
				t.check(await page.locator('#q2').inputValue() === 'A named worker for our cluster.',
					'the free-text answer was lost')
				await t.axe(page, `/surveys/${id}/respond (refused)`)
				await page.getByLabel('Agree', { exact: true }).check()
				await page.getByRole('button', { name: 'Send your answers' }).click()
				await page.waitForURL(`${t.base}/surveys/${id}`)
				t.check(await page.locator('#survey-answered').count() === 1, 'no thanks after answering')
				await t.shot(page, 'survey-answered')
			} finally {
				await context.close()
			}
		}
		{
			const { context, page } = await t.newPage()
			try {
				await t.signIn(page, 'coordinator', { home: false })
				await page.goto(`${t.base}/surveys/${id}`)
				await page.locator('#survey-results').click()
				await page.waitForURL(`${t.base}/surveys/${id}/results`)
				const rates = page.locator('#table-survey_rates')
				const heads = await rates.locator('thead th').allInnerTexts()
				const sec = heads.findIndex(h => h.trim() === 'Secondary')
				t.check(sec > 0, `no Secondary column: ${heads.join(' | ')}`)
				const row = key => rates.locator('tbody tr').filter({ hasText: key })
				const schools = Number((await row('Schools of this type').locator('th, td').nth(sec).innerText()).replace(/,/g, ''))
				const responded = (await row('Schools that responded').locator('th, td').nth(sec).innerText()).trim()
				const rate = (await row('Response rate').locator('th, td').nth(sec).innerText()).trim()
				t.check(responded === '1', `secondaries responded: ${responded}`)
				t.check(rate === `${(Math.round(1000 / schools) / 10).toFixed(1)}%`,
					`the rate ${rate} is not 1 of ${schools}`)
				const mean = await page.locator('#table-survey_q1 tbody tr').filter({ hasText: 'Average' })
					.locator('th, td').nth(sec).innerText()
				t.check(mean.trim() === '4.0', `the average answer is ${mean}, not 4.0 (Agree)`)
				t.check((await page.locator('#answers-q2').innerText()).includes('A named worker for our cluster.'),
					'the free text is not listed')
				await t.axe(page, `/surveys/${id}/results`)
				await t.shot(page, 'survey-results')
				const csv = await page.request.get(`${t.base}/surveys/${id}/results?format=csv`)
				t.check(csv.status() === 200, `CSV status ${csv.status()}`)
				const line = (await csv.text()).split('\r\n').find(l => l.startsWith('"Response rate"'))
				t.check(line && line.split(',')[sec + 1] === rate.replace('%', ''),
					`the CSV's rate differs from the page: ${line}`)
			} finally {
				await context.close()
			}
		}
		{
			const { context, page } = await t.newPage()
			try {
				await t.signIn(page, 'viewer', { home: false })
				const res = await page.goto(`${t.base}/surveys/${id}/results`)
				t.check(res.status() === 200, `viewer results: ${res.status()}`)
				t.check(await page.locator('#report-suppressed').count() === 1, 'no suppression note')
				t.check((await page.locator('#table-survey_rates').innerText()).includes('fewer than 5'),
					'the viewer sees a count below 5')
				t.check(!(await page.content()).includes('A named worker'), 'the viewer sees free text')
				await t.axe(page, `/surveys/${id}/results (viewer)`)
			} finally {
				await context.close()
			}
		}
	})
}
