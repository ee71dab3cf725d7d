// Deliberately wrong (see apps/chat-gateway/layers.spec.ts): a layer importing the module that wires them all.
import { ChatGatewayModule } from '../../chat-gateway.module';

export const upward = ChatGatewayModule;
