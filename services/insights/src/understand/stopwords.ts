/**
 * Stop words for the languages Strata sees most, written for this module: the function words that
 * say nothing about what a document is about. Keywords and answer matching leave them out.
 */

const ENGLISH = `a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing done down during each either else etc
ever every few for from further had has have having he her here hers herself him himself his how
however i if in into is it its itself just may me might mine more most much must my myself neither
no nor not now of off often on once one only or other our ours ourselves out over own per please
rather same shall she should since so some such than that the their theirs them themselves then
there these they this those though through thus to too under until up upon us very via was we were
what whatever when where whether which while who whom whose why will with within without would yes
yet you your yours yourself yourselves get got let like make made many new use used using well
another around least less onto across along already always among anyone anything become becomes
beside besides cannot else elsewhere enough even everyone everything hence hereby herein indeed
instead later latter meanwhile moreover namely never nevertheless next nobody none nothing otherwise
perhaps quite really several something sometimes somewhere still therefore thereby unless whereas
wherever whoever whole whereby able two three four five six seven eight nine ten first second third`;

const GERMAN = `aber alle allem allen aller alles als also am an andere anderen auch auf aus bei beim bin bis
bist da damit dann das dass dein deine dem den denn der des dessen die dies diese diesem diesen dieser
dieses doch dort du durch ein eine einem einen einer eines er es etwas euch euer für gegen hat hatte
hier ich ihm ihn ihnen ihr ihre im in ist jede jedem jeden jeder jedes jetzt kann kein keine können
man mein meine mich mir mit muss nach nicht nichts noch nun nur ob oder ohne sehr sein seine sich sie
sind so soll sollen sondern über um und uns unser unter vom von vor war waren was weil wenn wer werden
wie wir wird wo zu zum zur zwischen`;

const FRENCH = `à au aux avec ce ces cet cette dans de des du elle elles en est et été être eux il ils je la
le les leur leurs lui ma mais me même mes moi mon ne nos notre nous on ont ou où par pas pour qu que
qui sa sans se ses si son sont sur ta te tes toi ton tous tout toute toutes tu un une vos votre vous
y était sera sont fait plus comme bien aussi donc entre sous chez`;

const SPANISH = `a al algo algunos ante antes como con contra cual cuando de del desde donde durante e el
ella ellas ellos en entre era es esa esas ese eso esos esta estas este esto estos fue ha han hasta
hay la las le les lo los más me mi mis muy nada ni no nos nosotros o os otra otro para pero poco por
porque que quien se ser si sin sobre su sus también tanto te tiene todo todos tu tus un una uno unos
y ya está están son`;

const ITALIAN = `a ad al alla alle allo anche che chi ci come con da dal dalla dei del della delle dello di
dove e ed è gli ha hanno i il in io la le lei lo loro lui ma mi ne nei nel nella no noi non o per
perché più quale quando questa queste questi questo se si sono su sua sue suo suoi tra tu un una uno
voi sono essere stato`;

const PORTUGUESE = `a ao aos as até com como da das de dela dele do dos e é ela ele eles em entre era essa esse
esta este eu foi for há isso isto já la lhe mais mas me mesmo meu minha muito na não nas nem no nos
nós o os ou para pela pelo por quando que quem se sem ser seu sua são também te tem um uma você`;

const DUTCH = `aan al alles als bij dan dat de der deze die dit doch door dus een en er ge geen had heb hebben
heeft het hier hij hoe hun ik in is ja je kan kon maar me meer men met mij mijn na naar niet niets nog
nu of om omdat ons ook op over reeds te tot uit van veel voor want was wat we wel werd wie wij wordt
zal ze zei zich zij zo zonder zou`;

const set = (list: string): Set<string> => new Set(list.split(/\s+/).filter(Boolean));

const BY_LANGUAGE: Record<string, Set<string>> = {
  eng: set(ENGLISH),
  deu: set(GERMAN),
  fra: set(FRENCH),
  spa: set(SPANISH),
  ita: set(ITALIAN),
  por: set(PORTUGUESE),
  nld: set(DUTCH),
};

const ALL = new Set(Object.values(BY_LANGUAGE).flatMap((words) => [...words]));

/** The stop words of an ISO 639-3 language; an unknown language gets every list, English included. */
export function stopWordsFor(language: string | null): Set<string> {
  const own = language ? BY_LANGUAGE[language] : undefined;
  return own ?? ALL;
}

/** Words that carry no topic however often they occur: months, days, titles, document furniture. */
export const NOT_TOPICS = set(`january february march april may june july august september october
november december monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
mr mrs ms mx dr prof sir page pages item items thing things way lot kind sort number example
year years month months day days week weeks time times`);
