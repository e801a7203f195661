import '../shared/global.css';
import './rr-support-page.ts';
