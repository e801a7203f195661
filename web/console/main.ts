import '../shared/global.css';
import './rr-console-app.ts';
