// Loaded as <script type="module">, so it only runs in browsers that GOV.UK
// Frontend supports. This replaces GOV.UK's inline snippet (a strict CSP
// forbids inline scripts): mark the body, then initialise the components.
//
// The import is relative to this file, so it keeps working whatever
// STATIC_URL is (static imports are evaluated before this body runs; the
// GOV.UK module has no side effects on load).
import { initAll } from '../vendor/govuk-frontend/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')

initAll()
