export { requestModel, rememberRequestModel } from '../core/request-model.js';
