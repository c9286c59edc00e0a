export {
  createPool,
  type Pool,
  type PoolClient,
  type PoolOptions,
  type Queryable,
} from './pool.js';
// One implementation for the feed and for the services on the SDK's outbox.
export { withTransaction } from '@feed/contracts';
export { migrate, type MigrateResult } from './migrate.js';
export { migrations, type Migration } from './migrations/index.js';
export { FEED_EVENTS_CHANNEL } from './notifyChannel.js';
export { encodeCursor, decodeCursor, cursorSql } from './cursor.js';
export {
  comparePositions,
  laterPosition,
  feedStart,
  horizonAbove,
  type Position,
} from './position.js';
export {
  readVisibility,
  oldestFeedWriter,
  type Visibility,
  type FeedWriter,
} from './sql/readVisibility.js';
export { classifyDatabaseError, SqlState, type DatabaseErrorKind } from './databaseErrors.js';
export { filterClause, type StoredEvent, type EventFilter } from './eventRow.js';
export { insertEvents } from './sql/insertEvents.js';
export { beginFeedWrite } from './sql/beginFeedWrite.js';
export { notifyFeedChanged, announceFeedChanged } from './sql/notifyFeedChanged.js';
export { lockReactionTargets, REACTION_TARGET_LOCKS } from './sql/lockReactionTargets.js';
export { applyReactions } from './sql/applyReactions.js';
export { nextReactionVersion } from './sql/nextReactionVersion.js';
export { listReaderReactions } from './sql/listReaderReactions.js';
export { storeEvents, probeWrite, type StoreEventsResult } from './storeEvents.js';
export { recountReactions } from './sql/recountReactions.js';
export { listEvents, type ListEventsOptions } from './sql/listEvents.js';
export { listPageJson, listPagePositions, type PageJson } from './sql/listPageJson.js';
export { listRowsJson, type KeyedPageRow, type LoadRows } from './sql/listRowsJson.js';
export { itemsJson, type PageRow } from './eventJson.js';
export { listEventsAfter, type ListEventsAfterOptions } from './sql/listEventsAfter.js';
export { getEvent } from './sql/getEvent.js';
export { listTypesSeen, type TypeSeen } from './sql/listTypesSeen.js';
export {
  listChangesAfter,
  type StoredChange,
  type ListChangesAfterOptions,
} from './sql/listChangesAfter.js';
export {
  listFeedAfter,
  readFeedAfter,
  readFeedPagesAfter,
  itemPosition,
  type FeedItem,
  type FeedRead,
  type ListFeedAfterOptions,
} from './sql/listFeedAfter.js';
export { personHash } from './personHash.js';
export { hideEvent } from './sql/hideEvent.js';
export { erasePerson, type EraseResult } from './sql/erasePerson.js';
export {
  Organisation,
  nameKey,
  type OrgEvent,
  type Team,
  type Department,
  type Person,
} from './organisation/organisation.js';
export {
  findTeam,
  findDepartment,
  teamScope,
  departmentScope,
  teamView,
  departmentView,
  placementOf,
  type OrgScope,
  type ScopeSpan,
  type OrgUnitView,
} from './organisation/orgScope.js';
export { OrganisationReader, type OrganisationAt } from './organisation/organisationReader.js';
export {
  ScopePositions,
  SCOPE_POSITIONS_MAX,
  type ScopePageRequest,
} from './organisation/scopePositions.js';
export { listOrganisationEvents, organisationRemovedAfter } from './sql/listOrganisationEvents.js';
export { insertOrgSnapshots } from './sql/insertOrgSnapshots.js';
export { listScopePageJson, type ListScopePageOptions } from './sql/listScopePageJson.js';
export { listGroupRows, type GroupRow } from './sql/listGroupRows.js';
