export async function measureMemoryFigure() {
  return [];
}
