// model-files.js: the model as a file: Save model (this program's format,
// or another's: docs/export.md), Open model (refused with C's reason, the
// model in use unchanged), and Forget the model kept in this browser.

import { downloadFile, els, fmtBytes } from './ui.js';
import { clearError, setStatus, showError } from './view-status.js';
import { saveLastModel, forgetLastModel } from './store.js';
import { call } from './worker-link.js';
import { app, report, sentence, showModelInfo, refreshControls } from './page-state.js';
import { stored, settleRemembering } from './keeping.js';

const MODEL_FILE = 'mnist-model.mnwm';
const MAX_MODEL_BYTES = 300 * 1024 * 1024;

/**
 * The model file buttons. adoptModel(result): takes the worker's answer to
 * 'load' as the page's network; threadsSetting(): the threads control's count.
 */
export function setUpModelFiles({ adoptModel, threadsSetting }) {
  els.saveModel.addEventListener('click', async () => {
    try {
      if (els.saveFormat.value !== 'model') {
        // another program's format (docs/export.md): its files, one download each
        const files = await call('export', { format: els.saveFormat.value });
        for (const [name, bytes] of Object.entries(files)) {
          downloadFile(bytes, name);
          await new Promise((r) => setTimeout(r, 150));
        }
        return;
      }
      const bytes = await call('save');
      downloadFile(bytes, MODEL_FILE);
      await stored(() => saveLastModel(bytes, 'trained')).catch(() => {});
    } catch (e) {
      report(e, `Could not save the model: ${e.message}`);
    }
  });

  els.openModel.addEventListener('change', async () => {
    const file = els.openModel.files?.[0];
    els.openModel.value = ''; // the same file can be chosen again
    if (!file) return;
    app.touched = true;
    clearError();
    const refused = (reason) => `${file.name} was refused, the model in use is unchanged: ${sentence(reason)}`;
    if (!file.size) {
      showError(refused('the file is empty'));
      return;
    }
    if (file.size > MAX_MODEL_BYTES) {
      showError(`${file.name} is ${fmtBytes(file.size)}: too large to be a model file.`);
      return;
    }
    app.busy = true;
    refreshControls();
    try {
      const bytes = new Uint8Array(await file.arrayBuffer());
      const result = await call('load', { bytes: bytes.slice(), threads: threadsSetting() });
      adoptModel(result);
      app.keptAt = null;
      showModelInfo(`opened ${file.name}`);
      try {
        await settleRemembering();
        if (await stored(() => saveLastModel(bytes, 'file').then(() => true))) {
          app.keptAt = 0;
          showModelInfo();
        }
      } catch (e) {
        showError(`Could not remember the model in this browser: ${e.message}`);
      }
      setStatus(`Opened ${file.name}. Draw a digit, or press Train to train it on.`);
    } catch (e) {
      report(e, refused(e.reason ?? e.message)); // C's reason, without the call it concerns
    } finally {
      app.busy = false;
      refreshControls();
    }
  });

  els.forgetModel.addEventListener('click', async () => {
    try {
      await settleRemembering();
      if (await stored(() => forgetLastModel().then(() => true))) {
        app.keptAt = null;
        showModelInfo();
        setStatus('This browser no longer keeps a model; the one on the page stays until you reload.');
      }
    } catch (e) {
      showError(`Could not forget the model: ${e.message}`);
    }
  });
}
