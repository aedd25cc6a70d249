// Reading drawn digits: the page opens its reference model (the model its
// Train makes with the defaults on the default data, tests/helpers/reference.js;
// train.test.js holds the page's Train to its bytes), then every drawing of
// a stroke set (30 styles x 6 ways = 180, a third by touch) is drawn on the
// pad and its prediction compared with its label. Prints how many are read
// right, per group, per input, per digit and the misread ones.
//
// Our set (tests/helpers/strokes.js), the one the pen was tuned on: the
// floor is what the page's defaults reach on the default data, the full
// MNIST (10 epochs at batch 8: 98.36% test accuracy): 179/180 measured,
// every group 30/30 but slant right 29/30 (a "1 flag" read as 7); before the
// pad drew from the pen's path it was 151/180 on the small split. The floor,
// 178/180, leaves one drawing of room.
//
// The wide set (tests/helpers/strokes-wide.js), 30 styles written apart and
// never tuned on: 168/180 measured with the same model (a narrow 0 read as
// 1, a slashed 0 as 8, an 8 with a large lower loop as 0); floor 167. The
// convnet's reference model reads it 179/180 (docs/accuracy.md); its floor,
// 177, is the 98% the convnet is held to.
//
// By default both sets run with the seed's network and the wide set with
// the convnet's reference model too (the convnet as the page offers it,
// with augmentation: 179/180); DRAWINGS_SET=ours|wide runs one set,
// DRAWINGS_NETWORK=default|convnet one network (both sets with it), and
// DRAWINGS_FLOOR overrides the floor.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { clearPad, settledPrediction, servedPage, openModel } from './helpers.js';
import { pen } from './draw.js';
import { drawings, STYLES, VARIANTS } from '../helpers/strokes.js';
import { WIDE_STYLES } from '../helpers/strokes-wide.js';
import { referenceModel } from '../helpers/reference.js';

const SETS = {
  ours: { title: 'the stroke set', styles: STYLES, floor: { default: 178, convnet: 178 } },
  wide: { title: 'the wide stroke set', styles: WIDE_STYLES, floor: { default: 167, convnet: 177 } },
};
const { DRAWINGS_SET: SET, DRAWINGS_NETWORK: NET } = process.env;
if (SET && !SETS[SET]) throw new Error(`no stroke set ${SET}: ${Object.keys(SETS).join(', ')}`);
const runs = (
  NET
    ? Object.keys(SETS).map((name) => [name, NET])
    : [
        ['ours', 'default'],
        ['wide', 'default'],
        ['wide', 'convnet'],
      ]
).filter(([name]) => !SET || name === SET);

const { ready, close } = servedPage();
test.after(close);

for (const [name, NETWORK] of runs) {
  const { title, styles } = SETS[name];
  const floor = Number(process.env.DRAWINGS_FLOOR ?? SETS[name].floor[NETWORK] ?? 0);
  test(`the page's model trained with its defaults${NETWORK === 'default' ? '' : ` (${NETWORK})`} reads at least ${floor} of the 180 drawings of ${title}`, async () => {
    const { page, browser } = await ready();
    const reference = referenceModel(NETWORK);
    await openModel(page, reference.bytes, 'reference.mnwm');

    const hand = await pen(page);
    const results = [];
    const t0 = Date.now();
    for (const d of drawings(styles)) {
      await clearPad(page);
      await hand.draw(d.strokes, { input: d.input });
      const { digit } = await settledPrediction(page);
      results.push({ ...d, read: digit === '' ? null : Number(digit) });
    }
    const seconds = (Date.now() - t0) / 1000;

    const count = (rs) => `${rs.filter((r) => r.read === r.label).length}/${rs.length}`;
    const right = results.filter((r) => r.read === r.label).length;
    console.log(
      `    ${name} set, ${NETWORK} network: test accuracy ${(reference.accuracy * 100).toFixed(2)}%; drawings read right: ${right}/${results.length} (${((100 * right) / results.length).toFixed(1)}%) in ${seconds.toFixed(0)} s`,
    );
    console.log(
      `    per group: ${VARIANTS.map((v) => `${v.group} ${count(results.filter((r) => r.group === v.group))}`).join(', ')}`,
    );
    console.log(
      `    per input: ${['mouse', 'touch'].map((i) => `${i} ${count(results.filter((r) => r.input === i))}`).join(', ')}`,
    );
    console.log(
      `    per digit: ${[...Array(10).keys()].map((k) => `${k}: ${count(results.filter((r) => r.label === k))}`).join(', ')}`,
    );
    const wrong = results.filter((r) => r.read !== r.label);
    if (wrong.length)
      console.log(`    misread: ${wrong.map((r) => `${r.style} (${r.group}, ${r.input}) -> ${r.read}`).join('; ')}`);

    assert.is(results.length, 180, 'the whole stroke set');
    assert.ok(
      results.every((r) => r.read !== null),
      'every drawing gives a prediction',
    );
    assert.ok(right >= floor, `${right}/${results.length} read right, below the floor ${floor}/180`);
    assert.equal(browser.problems.pageErrors, [], 'page errors');
  });
}

test.run();
