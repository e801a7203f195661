import '../shared/global.css';
import './rr-admin-app.ts';
