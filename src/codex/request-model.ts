export { requestModel } from '../core/request-model.js';
