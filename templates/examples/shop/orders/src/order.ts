import { Aggregate } from '@msx/runtime/eventstore';

export interface OrderItem {
  productId: string;
  quantity: number;
}

export interface OrderState {
  userId: string;
  items: OrderItem[];
  status: 'new' | 'pending' | 'confirmed' | 'cancelled';
  total: number;
  reason?: string;
}

/**
 * An event-sourced order: OrderCreated → OrderConfirmed or OrderCancelled.
 * Commands are idempotent (confirming a confirmed order raises nothing), so
 * a saga step that runs twice changes the order once.
 */
export class Order extends Aggregate<OrderState> {
  constructor(id: string) {
    super(id, { userId: '', items: [], status: 'new', total: 0 });
    this.on<{ userId: string; items: OrderItem[] }>('OrderCreated', (state, data) => ({ ...state, userId: data.userId, items: data.items, status: 'pending' }));
    this.on<{ total: number }>('OrderConfirmed', (state, data) => ({ ...state, status: 'confirmed', total: data.total }));
    this.on<{ reason: string }>('OrderCancelled', (state, data) => ({ ...state, status: 'cancelled', reason: data.reason }));
  }

  create(userId: string, items: OrderItem[]): boolean {
    if (this.state.status !== 'new') return false;
    this.raise('OrderCreated', { userId, items });
    return true;
  }

  confirm(total: number): boolean {
    if (this.state.status !== 'pending') return false;
    this.raise('OrderConfirmed', { total });
    return true;
  }

  cancel(reason: string): boolean {
    if (this.state.status !== 'pending') return false;
    this.raise('OrderCancelled', { reason });
    return true;
  }
}
