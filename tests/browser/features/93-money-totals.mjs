// 93-money-totals.mjs — every total of the commissioning money agrees to
// the penny wherever it is shown.  Over the demo's commissions (every
// state, a refund, a cancellation, household grants) the coordinator
// fetches the JSON API, the CSV export and the XLSX export as a finance
// officer would: the API's totals equal the sum of its rows; the CSV's and
// the XLSX's Total rows equal the API's; and the budgets' own positions
// (committed, spent, pending over every budget) equal the commissions'
// sums, so nothing is counted twice or lost between a budget and its
// commissions.  The XLSX is read by unzipping it here (node:zlib), not by
// anything of Hearth's.
import { inflateRawSync } from 'node:zlib'

// "1234.56" (CSV) → 123456, exactly: string arithmetic, never a float sum.
function csvPence(s) {
	const m = /^"?(-?)(\d+)\.(\d\d)"?$/.exec(s)
	if (!m)
		return NaN
	const v = Number(m[2]) * 100 + Number(m[3])
	return m[1] ? -v : v
}

// The files of a zip archive (stored or deflated), by name.
function unzip(buf) {
	let eocd = buf.length - 22
	while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50)
		eocd--
	if (eocd < 0)
		throw new Error('not a zip archive: no end of central directory')
	const count = buf.readUInt16LE(eocd + 10)
	let p = buf.readUInt32LE(eocd + 16)
	const files = {}
	for (let i = 0; i < count; i++) {
		if (buf.readUInt32LE(p) !== 0x02014b50)
			throw new Error('bad central directory entry')
		const method = buf.readUInt16LE(p + 10), size = buf.readUInt32LE(p + 20)
		const nlen = buf.readUInt16LE(p + 28), xlen = buf.readUInt16LE(p + 30), clen = buf.readUInt16LE(p + 32)
		const local = buf.readUInt32LE(p + 42)
		const name = buf.toString('utf8', p + 46, p + 46 + nlen)
		const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28)
		const data = buf.subarray(start, start + size)
		files[name] = (method === 8 ? inflateRawSync(data) : data).toString('utf8')
		p += 46 + nlen + xlen + clen
	}
	return files
}

// The cells of the sheet's last row: { K: '1234.56', … } with shared
// strings resolved.
function lastRow(files) {
	const strings = [...(files['xl/sharedStrings.xml'] || '').matchAll(/<si>(.*?)<\/si>/gs)]
		.map(m => m[1].replace(/<[^>]+>/g, ''))
	const rows = [...files['xl/worksheets/sheet1.xml'].matchAll(/<row [^>]*>(.*?)<\/row>/gs)]
	const cells = {}
	for (const c of rows.at(-1)[1].matchAll(/<c r="([A-Z]+)\d+"([^>]*?)(?:\/>|>(.*?)<\/c>)/gs)) {
		const v = /<v>(.*?)<\/v>/.exec(c[3] || '')
		const t = /t="([a-z]+)"/.exec(c[2])
		cells[c[1]] = v ? (t && t[1] === 's' ? strings[Number(v[1])] : v[1]) : ''
	}
	return { cells, rows: rows.length }
}

export default async function (t) {
	await t.test('commissioning money: API, CSV, XLSX and the budgets agree to the penny',
		['server', 'browser'], async () => {
		const { context, page } = await t.newPage()
		try {
			await t.signIn(page, 'coordinator', { home: false })
			const api = await (await page.request.get(`${t.base}/api/v1/commissions`)).json()
			const rows = api.commissions
			t.check(rows.length >= 20, `the demo has ${rows.length} commissions`)
			for (const k of ['paid', 'delivered', 'approved', 'requested', 'cancelled'])
				t.check(rows.some(x => x.status === k), `no ${k} commission in the demo`)
			t.check(rows.some(x => x.refunded_pence > 0), 'no refund in the demo')
			const sum = k => rows.reduce((s, x) => s + (x[k] > 0 ? x[k] : 0), 0)
			for (const k of ['estimate', 'refunded', 'committed', 'spent'])
				t.check(sum(`${k}_pence`) === api.totals[`${k}_pence`],
					`API ${k}: rows ${sum(`${k}_pence`)}p, totals ${api.totals[`${k}_pence`]}p`)
			t.check(api.totals.spent_pence > 0 && api.totals.committed_pence > 0, 'nothing committed or spent')

			// the budgets' positions hold the same money
			const budgets = (await (await page.request.get(`${t.base}/api/v1/budgets`)).json()).budgets
			const bsum = k => budgets.reduce((s, b) => s + b[k], 0)
			t.check(bsum('committed_pence') === api.totals.committed_pence,
				`budgets commit ${bsum('committed_pence')}p, commissions ${api.totals.committed_pence}p`)
			t.check(bsum('spent_pence') === api.totals.spent_pence,
				`budgets spent ${bsum('spent_pence')}p, commissions ${api.totals.spent_pence}p`)
			const waiting = rows.filter(x => x.status === 'requested').reduce((s, x) => s + x.estimate_pence, 0)
			t.check(bsum('pending_pence') === waiting, `budgets pending ${bsum('pending_pence')}p, requests ${waiting}p`)
			for (const b of budgets)
				t.check(b.available_pence === b.amount_pence - b.committed_pence - b.spent_pence,
					`${b.name}: available is not amount − committed − spent`)

			// the CSV: a row per commission, and its Total row
			const csv = await page.request.get(`${t.base}/commissions.csv`)
			t.check(csv.status() === 200, `CSV status ${csv.status()}`)
			const lines = (await csv.text()).split('\r\n').filter(l => l)
			t.check(lines.length === rows.length + 2, `CSV has ${lines.length - 2} rows, the API ${rows.length}`)
			const total = lines.at(-1).split(',')
			t.check(total[0] === '"Total"', 'the CSV ends without a Total row')
			const cols = { estimate: 10, refunded: 12, committed: 13, spent: 14 }
			for (const [k, c] of Object.entries(cols))
				t.check(csvPence(total[c]) === api.totals[`${k}_pence`],
					`CSV ${k} total ${total[c]}, API ${api.totals[`${k}_pence`]}p`)

			// the XLSX: the same Total row, as numbers
			const xl = await page.request.get(`${t.base}/commissions.xlsx`)
			t.check(xl.status() === 200, `XLSX status ${xl.status()}`)
			const { cells, rows: nrows } = lastRow(unzip(await xl.body()))
			t.check(nrows === rows.length + 2, `XLSX has ${nrows - 2} rows, the API ${rows.length}`)
			t.check(cells.A === 'Total', `the XLSX's last row starts ${cells.A}`)
			const letters = { estimate: 'K', refunded: 'M', committed: 'N', spent: 'O' }
			for (const [k, l] of Object.entries(letters))
				t.check(Math.round(Number(cells[l]) * 100) === api.totals[`${k}_pence`],
					`XLSX ${k} total ${cells[l]}, API ${api.totals[`${k}_pence`]}p`)
		} finally {
			await context.close()
		}
	})
}
