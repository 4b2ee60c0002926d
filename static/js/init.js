// Progressive enhancement only: every page works without JavaScript.
import { initAll } from '../vendor/nhsuk-frontend/nhsuk-frontend.min.js'

initAll()
