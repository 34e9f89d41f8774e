// The CS center's console: the shared shell with the console's pages.
import { I18n } from '../shared/i18n.js';
import { Shell, SHELL_DICTS, mergeDicts } from '../shared/shell.js';
import { A11Y_DICTS } from '../shared/strings.js';
import { PAGES } from './pages.js';
import { CONSOLE_DICTS } from './strings.js';
import { DASHBOARD_DICTS } from './dashboard.js';
import { ISSUED_DICTS } from './issued.js';
import { DEFECT_DICTS } from './defect.js';
import { RISK_DICTS } from './risks.js';
import { COMPANY_DICTS } from './company.js';
import { DISPATCH_DICTS } from './dispatch.js';
import { LINK_DICTS } from './links.js';
import { OUTBOX_DICTS } from './outbox.js';
import { HISTORY_DICTS } from './history.js';
import { NAMES_DICTS } from './names.js';

const i18n = new I18n(mergeDicts(SHELL_DICTS, A11Y_DICTS, CONSOLE_DICTS, DASHBOARD_DICTS, ISSUED_DICTS, DEFECT_DICTS, RISK_DICTS, COMPANY_DICTS,
  DISPATCH_DICTS, LINK_DICTS, OUTBOX_DICTS, HISTORY_DICTS, NAMES_DICTS));
// Engineers (the project department) sign in too, and read only.
void new Shell(document.getElementById('app')!, i18n, 'app.title', PAGES, ['cs_admin', 'engineer']).start();
