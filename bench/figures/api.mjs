export async function measureApiFigure() {
  return [];
}
