export async function backup(_a: string[], _io: unknown): Promise<number> { return 1; }
export async function restore(_a: string[], _io: unknown): Promise<number> { return 1; }
