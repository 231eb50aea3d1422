/**
 * The small lexicons behind people, places and organisations, written for this module from
 * general knowledge (no list was copied). They are deliberately short: a name is only reported
 * when one of these gives evidence for its kind, so a miss is more likely than a wrong label.
 */

const lines = (list: string): string[] =>
  list
    .split(/[,\n]/)
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);

const COUNTRIES = lines(`Afghanistan, Albania, Algeria, Andorra, Angola, Argentina, Armenia, Australia, Austria,
Azerbaijan, Bahamas, Bahrain, Bangladesh, Barbados, Belarus, Belgium, Belize, Benin, Bhutan, Bolivia,
Bosnia and Herzegovina, Botswana, Brazil, Brunei, Bulgaria, Burkina Faso, Burundi, Cambodia, Cameroon,
Canada, Cape Verde, Chad, Chile, China, Colombia, Comoros, Congo, Costa Rica, Croatia, Cuba, Cyprus,
Czechia, Czech Republic, Denmark, Djibouti, Dominica, Dominican Republic, Ecuador, Egypt, El Salvador,
Eritrea, Estonia, Eswatini, Ethiopia, Fiji, Finland, France, Gabon, Gambia, Georgia, Germany, Ghana,
Greece, Grenada, Guatemala, Guinea, Guyana, Haiti, Honduras, Hungary, Iceland, India, Indonesia, Iran,
Iraq, Ireland, Israel, Italy, Ivory Coast, Jamaica, Japan, Jordan, Kazakhstan, Kenya, Kiribati, Kosovo,
Kuwait, Kyrgyzstan, Laos, Latvia, Lebanon, Lesotho, Liberia, Libya, Liechtenstein, Lithuania,
Luxembourg, Madagascar, Malawi, Malaysia, Maldives, Mali, Malta, Mauritania, Mauritius, Mexico,
Moldova, Monaco, Mongolia, Montenegro, Morocco, Mozambique, Myanmar, Namibia, Nauru, Nepal,
Netherlands, New Zealand, Nicaragua, Niger, Nigeria, North Korea, North Macedonia, Norway, Oman,
Pakistan, Palau, Palestine, Panama, Papua New Guinea, Paraguay, Peru, Philippines, Poland, Portugal,
Qatar, Romania, Russia, Rwanda, Samoa, San Marino, Saudi Arabia, Senegal, Serbia, Seychelles,
Sierra Leone, Singapore, Slovakia, Slovenia, Somalia, South Africa, South Korea, South Sudan, Spain,
Sri Lanka, Sudan, Suriname, Sweden, Switzerland, Syria, Taiwan, Tajikistan, Tanzania, Thailand,
Togo, Tonga, Trinidad and Tobago, Tunisia, Turkey, Türkiye, Turkmenistan, Tuvalu, Uganda, Ukraine,
United Arab Emirates, United Kingdom, United States, United States of America, Uruguay, Uzbekistan,
Vanuatu, Vatican City, Venezuela, Vietnam, Yemen, Zambia, Zimbabwe, England, Scotland, Wales,
Northern Ireland, Great Britain, Britain, Hong Kong, Puerto Rico, Greenland, Europe, Africa, Asia,
Antarctica, North America, South America, Oceania, Scandinavia`);

const US_STATES = lines(`Alabama, Alaska, Arizona, Arkansas, California, Colorado, Connecticut, Delaware, Florida,
Hawaii, Idaho, Illinois, Indiana, Iowa, Kansas, Kentucky, Louisiana, Maine, Maryland,
Massachusetts, Michigan, Minnesota, Mississippi, Missouri, Montana, Nebraska, Nevada, New Hampshire,
New Jersey, New Mexico, New York, North Carolina, North Dakota, Ohio, Oklahoma, Oregon,
Pennsylvania, Rhode Island, South Carolina, South Dakota, Tennessee, Texas, Utah, Vermont,
Virginia, Washington, West Virginia, Wisconsin, Wyoming, District of Columbia`);

const CITIES = lines(`London, Paris, Berlin, Madrid, Rome, Lisbon, Amsterdam, Brussels, Vienna, Prague, Warsaw,
Budapest, Athens, Dublin, Edinburgh, Manchester, Birmingham, Glasgow, Liverpool, Bristol, Leeds,
Oxford, Cambridge, Munich, Hamburg, Frankfurt, Cologne, Stuttgart, Zurich, Geneva, Basel, Milan,
Naples, Turin, Florence, Venice, Barcelona, Valencia, Seville, Porto, Lyon, Marseille, Toulouse, Nice,
Rotterdam, Antwerp, Copenhagen, Stockholm, Oslo, Helsinki, Reykjavik, Moscow, Saint Petersburg, Kyiv,
Kiev, Istanbul, Ankara, Bucharest, Sofia, Belgrade, Zagreb, Luxembourg City, Monaco, New York City,
Los Angeles, Chicago, Houston, Phoenix, Philadelphia, San Antonio, San Diego, Dallas, San Jose,
Austin, San Francisco, Seattle, Denver, Boston, Atlanta, Miami, Detroit, Minneapolis, Portland,
Las Vegas, Baltimore, Pittsburgh, Nashville, New Orleans, Washington DC, Toronto, Montreal,
Vancouver, Ottawa, Calgary, Mexico City, Guadalajara, São Paulo, Sao Paulo, Rio de Janeiro,
Buenos Aires, Santiago, Lima, Bogotá, Bogota, Caracas, Havana, Tokyo, Osaka, Kyoto, Seoul, Beijing,
Shanghai, Shenzhen, Guangzhou, Taipei, Manila, Jakarta, Bangkok, Hanoi, Ho Chi Minh City,
Kuala Lumpur, Mumbai, Delhi, New Delhi, Bangalore, Bengaluru, Chennai, Kolkata, Hyderabad, Karachi,
Lahore, Dhaka, Tehran, Baghdad, Riyadh, Jeddah, Dubai, Abu Dhabi, Doha, Tel Aviv, Jerusalem, Beirut,
Cairo, Lagos, Nairobi, Accra, Addis Ababa, Johannesburg, Cape Town, Casablanca, Tunis, Algiers,
Sydney, Melbourne, Brisbane, Perth, Adelaide, Auckland, Wellington`);

/** Lower-cased names of countries, continents, US states and large cities. */
export const PLACES = new Set([...COUNTRIES, ...US_STATES, ...CITIES, 'usa', 'u.s.', 'u.s.a.', 'uk', 'u.k.', 'uae', 'eu']);

/** Last words that make a capitalised run an organisation ("Acme Widgets Ltd", "City Council"). */
export const ORGANISATION_SUFFIXES = new Set(lines(`inc, inc., incorporated, ltd, ltd., limited, llc, l.l.c., llp, lp, plc,
gmbh, ag, kg, se, sa, s.a., sarl, sas, srl, spa, s.p.a., bv, b.v., nv, n.v., oy, ab, as, a/s, pty, pte,
kk, corp, corp., corporation, co, co., company, group, holdings, partners, associates, foundation,
bank, university, college, council, ministry, agency, institute, hospital, school, academy,
association, society, trust, committee, commission, department, authority, federation, union,
bureau, court, police, museum, library, laboratories, labs, systems, technologies, industries,
enterprises, ventures, airlines, insurance`));

/** First words that make "X of Y" an organisation ("University of Oxford", "Bank of England"). */
export const ORGANISATION_HEADS = new Set(lines(`university, bank, ministry, department, institute, college, council,
office, bureau, board, court, museum, school, academy, association, society, federation, church`));

/** Titles before a person's name, without their full stop. */
export const PERSON_TITLES = new Set(lines(`mr, mrs, ms, miss, mx, dr, prof, professor, sir, dame, lord, lady, rev,
reverend, judge, senator, president, minister, herr, frau, mme, mlle, sr, sra, dott, doctor`));

/** Common given names (English-speaking world first, then frequent European and Asian ones). */
export const GIVEN_NAMES = new Set(lines(`James, John, Robert, Michael, William, David, Richard, Joseph, Thomas, Charles,
Christopher, Daniel, Matthew, Anthony, Mark, Donald, Steven, Paul, Andrew, Joshua, Kenneth, Kevin,
Brian, George, Timothy, Ronald, Edward, Jason, Jeffrey, Ryan, Jacob, Gary, Nicholas, Eric, Jonathan,
Stephen, Larry, Justin, Scott, Brandon, Benjamin, Samuel, Gregory, Alexander, Frank, Patrick,
Raymond, Jack, Dennis, Jerry, Tyler, Aaron, Jose, Adam, Henry, Nathan, Douglas, Zachary, Peter,
Kyle, Walter, Ethan, Jeremy, Harold, Keith, Christian, Roger, Noah, Gerald, Carl, Terry, Sean,
Austin, Arthur, Lawrence, Jesse, Dylan, Bryan, Joe, Jordan, Billy, Bruce, Albert, Willie, Gabriel,
Logan, Alan, Juan, Wayne, Roy, Ralph, Randy, Eugene, Vincent, Russell, Elijah, Louis, Bobby, Philip,
Johnny, Oliver, Harry, Oscar, Leo, Liam, Lucas, Max, Tom, Tim, Ben, Sam, Dan, Jim, Bob, Bill, Mike,
Mary, Patricia, Jennifer, Linda, Elizabeth, Barbara, Susan, Jessica, Sarah, Karen, Lisa, Nancy,
Betty, Margaret, Sandra, Ashley, Kimberly, Emily, Donna, Michelle, Carol, Amanda, Dorothy, Melissa,
Deborah, Stephanie, Rebecca, Sharon, Laura, Cynthia, Kathleen, Amy, Angela, Shirley, Anna, Brenda,
Pamela, Emma, Nicole, Helen, Samantha, Katherine, Christine, Debra, Rachel, Carolyn, Janet,
Catherine, Maria, Heather, Diane, Ruth, Julie, Olivia, Joyce, Virginia, Victoria, Kelly, Lauren,
Christina, Joan, Evelyn, Judith, Megan, Andrea, Cheryl, Hannah, Jacqueline, Martha, Gloria, Teresa,
Ann, Sara, Madison, Frances, Kathryn, Janice, Jean, Abigail, Alice, Judy, Sophia, Grace, Denise,
Amber, Doris, Marilyn, Danielle, Beverly, Isabella, Theresa, Diana, Natalie, Brittany, Charlotte,
Marie, Kayla, Alexis, Lori, Jane, Lucy, Chloe, Ella, Mia, Ava, Amelia, Zoe, Claire, Fiona, Kate,
Hans, Klaus, Jürgen, Stefan, Wolfgang, Andreas, Thomas, Markus, Sabine, Petra, Ursula, Monika,
Pierre, Jean, Michel, Philippe, Nicolas, François, Marie, Sophie, Camille, Isabelle, Giovanni,
Giuseppe, Marco, Luca, Francesca, Giulia, Carlos, Luis, Javier, Miguel, Pedro, Carmen, Lucia, Ana,
João, Pablo, Sofia, Lars, Anders, Erik, Sven, Ingrid, Astrid, Jan, Piotr, Ivan, Olga, Ahmed,
Mohammed, Muhammad, Ali, Fatima, Omar, Aisha, Priya, Raj, Rahul, Arjun, Ananya, Wei, Li, Ming, Hiroshi,
Yuki, Kenji, Min-jun, Ji-woo, Chen`));
