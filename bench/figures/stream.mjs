export async function measureStreamFigure() {
  return [];
}
