export async function measurePublisherFigure() {
  return [];
}
