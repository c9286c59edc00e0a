export async function measureEndToEndFigure() {
  return [];
}
