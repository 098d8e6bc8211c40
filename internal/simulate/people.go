package simulate

import (
	"fmt"
	"strings"

	"github.com/orderbot/orderbot"
)

// market is what differs between the countries customers live in.
type market struct {
	country  string
	currency string
	locale   string
	carriers []carrier
	cities   []city
}

// city is a delivery city with what makes its addresses and phones realistic.
type city struct {
	name, province, tz string
	postal             func(w *World) string
	phone              func(w *World) string
	hub                string // sorting hub that parcels pass through
}

// carrier is a courier with its tracking-number shape.
type carrier struct {
	slug     string
	name     string
	tracking func(w *World) string
	china    bool // tracked through the Chinese tracking source
}

func digits(w *World, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + w.rng.IntN(10))
	}
	return string(b)
}

func letters(w *World, n int, alphabet string) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[w.rng.IntN(len(alphabet))]
	}
	return string(b)
}

func oneOf[T any](w *World, xs []T) T { return xs[w.rng.IntN(len(xs))] }

// Chinese mobile prefixes that the numbering plan assigns (China Mobile, Unicom,
// Telecom).
var cnMobile = []string{"130", "131", "132", "133", "134", "135", "136", "137", "138", "139",
	"150", "151", "152", "153", "155", "156", "157", "158", "159",
	"180", "181", "182", "183", "184", "185", "186", "187", "188", "189"}

func cnPhone(w *World) string {
	n := oneOf(w, cnMobile) + digits(w, 8)
	switch w.rng.IntN(4) {
	case 0:
		return "+86 " + n[:3] + " " + n[3:7] + " " + n[7:]
	case 1:
		return n[:3] + "-" + n[3:7] + "-" + n[7:]
	default:
		return n
	}
}

func cnPostal(prefix string) func(w *World) string {
	return func(w *World) string { return prefix + fmt.Sprintf("%02d", w.rng.IntN(10)*10) }
}

// usPhone builds a number in a real area code with an exchange that is neither
// N11 nor 555 (reserved for fiction and directory services).
func usPhone(areas ...string) func(w *World) string {
	return func(w *World) string {
		var ex string
		for {
			ex = string(rune('2'+w.rng.IntN(8))) + digits(w, 2)
			if ex[1:] != "11" && ex != "555" {
				break
			}
		}
		area := oneOf(w, areas)
		line := digits(w, 4)
		if w.chance(0.5) {
			return "(" + area + ") " + ex + "-" + line
		}
		return "+1 " + area + "-" + ex + "-" + line
	}
}

func usZip(prefixes ...string) func(w *World) string {
	return func(w *World) string {
		z := oneOf(w, prefixes) + digits(w, 5-len(prefixes[0]))
		if w.chance(0.1) {
			z += "-" + digits(w, 4)
		}
		return z
	}
}

func dePhone(w *World) string {
	if w.chance(0.7) {
		return "+49 " + oneOf(w, []string{"151", "152", "160", "170", "171", "176"}) + " " + digits(w, 8)
	}
	return "030 " + digits(w, 8)
}

// frPhone draws a French mobile in a block the numbering plan assigns.
func frPhone(w *World) string {
	n := "0" + oneOf(w, []string{"60", "61", "62", "64", "65", "66", "67", "68", "73", "74", "75", "76", "77", "78"}) + digits(w, 7)
	return n[0:2] + " " + n[2:4] + " " + n[4:6] + " " + n[6:8] + " " + n[8:10]
}

// nlPhone draws a Dutch mobile (06 followed by 1-5 or 8).
func nlPhone(w *World) string {
	return "06 " + oneOf(w, []string{"1", "2", "3", "4", "5", "8"}) + digits(w, 7)
}

// gbPhone draws a UK mobile in an allocated 07 block.
func gbPhone(w *World) string {
	return "07" + oneOf(w, []string{"40", "41", "42", "43", "44", "47", "48", "49", "80", "81", "84", "85", "86", "87", "88", "89", "90", "92", "94", "95", "96", "97", "98", "99"}) +
		digits(w, 1) + " " + digits(w, 6)
}

func numberRange(lo, hi int, width int) func(w *World) string {
	return func(w *World) string { return fmt.Sprintf("%0*d", width, lo+w.rng.IntN(hi-lo+1)) }
}

func nlPostal(w *World) string {
	// Letter pairs SA, SD and SS are not issued.
	var pair string
	for {
		pair = letters(w, 2, "ABCDEFGHJKLMNPRSTVWXZ")
		if pair != "SA" && pair != "SD" && pair != "SS" {
			break
		}
	}
	return fmt.Sprintf("%d %s", 1011+w.rng.IntN(98), pair)
}

func gbPostal(outward ...string) func(w *World) string {
	return func(w *World) string {
		return oneOf(w, outward) + " " + digits(w, 1) + letters(w, 2, "ABDEFGHJLNPQRSTUWXYZ")
	}
}

var (
	sfExpress = carrier{slug: "shunfeng", name: "SF Express", china: true,
		tracking: func(w *World) string { return "SF" + digits(w, 13) }}
	yto = carrier{slug: "yuantong", name: "YTO Express", china: true,
		tracking: func(w *World) string { return "YT" + digits(w, 13) }}
	zto = carrier{slug: "zhongtong", name: "ZTO Express", china: true,
		tracking: func(w *World) string { return "7" + digits(w, 13) }}
	jd = carrier{slug: "jd", name: "JD Logistics", china: true,
		tracking: func(w *World) string { return "JDVA" + digits(w, 11) }}
	ups = carrier{slug: "ups", name: "UPS",
		tracking: func(w *World) string {
			return "1Z" + letters(w, 6, "0123456789ABCDEFGHJKLMNPRSTVWXY") + "03" + digits(w, 8)
		}}
	usps = carrier{slug: "usps", name: "USPS",
		tracking: func(w *World) string { return "9400" + digits(w, 18) }}
	fedex = carrier{slug: "fedex", name: "FedEx",
		tracking: func(w *World) string { return digits(w, 12) }}
	dhl = carrier{slug: "dhl", name: "DHL",
		tracking: func(w *World) string { return "00340434" + digits(w, 12) }}
	dpd = carrier{slug: "dpd", name: "DPD",
		tracking: func(w *World) string { return "0" + digits(w, 13) }}
	colissimo = carrier{slug: "colissimo", name: "Colissimo",
		tracking: func(w *World) string { return "6A" + digits(w, 11) }}
	postnl = carrier{slug: "postnl-3s", name: "PostNL",
		tracking: func(w *World) string { return "3S" + letters(w, 4, "ABCDEFGHJKLMNPRSTUVWXYZ") + digits(w, 7) }}
	royalMail = carrier{slug: "royal-mail", name: "Royal Mail",
		tracking: func(w *World) string { return letters(w, 2, "ABCDEFGHJKLMNPRSTUVWXYZ") + digits(w, 9) + "GB" }}
)

var markets = map[string]market{
	"CN": {country: "CN", currency: "CNY", locale: "zh-CN", carriers: []carrier{sfExpress, yto, zto, jd},
		cities: []city{
			{name: "上海市", province: "上海市", tz: "Asia/Shanghai", postal: cnPostal("2000"), phone: cnPhone, hub: "上海转运中心"},
			{name: "北京市", province: "北京市", tz: "Asia/Shanghai", postal: cnPostal("1000"), phone: cnPhone, hub: "北京顺义转运中心"},
			{name: "广州市", province: "广东省", tz: "Asia/Shanghai", postal: cnPostal("5100"), phone: cnPhone, hub: "广州白云转运中心"},
			{name: "深圳市", province: "广东省", tz: "Asia/Shanghai", postal: cnPostal("5180"), phone: cnPhone, hub: "深圳宝安转运中心"},
			{name: "杭州市", province: "浙江省", tz: "Asia/Shanghai", postal: cnPostal("3100"), phone: cnPhone, hub: "杭州萧山转运中心"},
			{name: "成都市", province: "四川省", tz: "Asia/Shanghai", postal: cnPostal("6100"), phone: cnPhone, hub: "成都双流转运中心"},
			{name: "武汉市", province: "湖北省", tz: "Asia/Shanghai", postal: cnPostal("4300"), phone: cnPhone, hub: "武汉转运中心"},
			{name: "南京市", province: "江苏省", tz: "Asia/Shanghai", postal: cnPostal("2100"), phone: cnPhone, hub: "南京转运中心"},
		}},
	"US": {country: "US", currency: "USD", locale: "en", carriers: []carrier{ups, usps, fedex},
		cities: []city{
			{name: "New York", province: "NY", tz: "America/New_York", postal: usZip("100", "101", "102"), phone: usPhone("212", "646", "917"), hub: "Secaucus, NJ"},
			{name: "Los Angeles", province: "CA", tz: "America/Los_Angeles", postal: usZip("900"), phone: usPhone("213", "310", "323"), hub: "Los Angeles, CA"},
			{name: "Chicago", province: "IL", tz: "America/Chicago", postal: usZip("606"), phone: usPhone("312", "773"), hub: "Hodgkins, IL"},
			{name: "Houston", province: "TX", tz: "America/Chicago", postal: usZip("770"), phone: usPhone("713", "832"), hub: "Houston, TX"},
			{name: "Seattle", province: "WA", tz: "America/Los_Angeles", postal: usZip("981"), phone: usPhone("206"), hub: "Kent, WA"},
			{name: "San Francisco", province: "CA", tz: "America/Los_Angeles", postal: usZip("941"), phone: usPhone("415"), hub: "Oakland, CA"},
			{name: "Boston", province: "MA", tz: "America/New_York", postal: usZip("021"), phone: usPhone("617"), hub: "Chelmsford, MA"},
			{name: "Denver", province: "CO", tz: "America/Denver", postal: usZip("802"), phone: usPhone("303", "720"), hub: "Commerce City, CO"},
			{name: "Austin", province: "TX", tz: "America/Chicago", postal: usZip("787"), phone: usPhone("512"), hub: "Austin, TX"},
			{name: "Atlanta", province: "GA", tz: "America/New_York", postal: usZip("303"), phone: usPhone("404", "678"), hub: "Atlanta, GA"},
		}},
	"DE": {country: "DE", currency: "EUR", locale: "en", carriers: []carrier{dhl, dpd},
		cities: []city{
			{name: "Berlin", tz: "Europe/Berlin", postal: numberRange(10115, 14199, 5), phone: dePhone, hub: "Berlin-Mariendorf"},
			{name: "München", tz: "Europe/Berlin", postal: numberRange(80331, 81929, 5), phone: dePhone, hub: "Aschheim"},
			{name: "Hamburg", tz: "Europe/Berlin", postal: numberRange(20095, 22769, 5), phone: dePhone, hub: "Hamburg-Allermöhe"},
		}},
	"FR": {country: "FR", currency: "EUR", locale: "en", carriers: []carrier{colissimo},
		cities: []city{
			{name: "Paris", tz: "Europe/Paris", postal: numberRange(75001, 75020, 5), phone: frPhone, hub: "Wissous PFC"},
			{name: "Lyon", tz: "Europe/Paris", postal: numberRange(69001, 69009, 5), phone: frPhone, hub: "Saint-Priest PFC"},
		}},
	"NL": {country: "NL", currency: "EUR", locale: "en", carriers: []carrier{postnl},
		cities: []city{
			{name: "Amsterdam", tz: "Europe/Amsterdam", postal: nlPostal, phone: nlPhone, hub: "Amsterdam Sorteercentrum"},
		}},
	"GB": {country: "GB", currency: "GBP", locale: "en", carriers: []carrier{royalMail},
		cities: []city{
			{name: "London", tz: "Europe/London", postal: gbPostal("SW1A", "EC1A", "W1D", "N1", "SE1", "E14"), phone: gbPhone, hub: "Mount Pleasant MC"},
			{name: "Manchester", tz: "Europe/London", postal: gbPostal("M1", "M2", "M4", "M15"), phone: gbPhone, hub: "Manchester MC"},
		}},
}

// otherCountries are the non-Chinese markets with their shares.
var otherCountries = []struct {
	country string
	share   float64
}{{"US", 0.5}, {"DE", 0.15}, {"GB", 0.15}, {"FR", 0.1}, {"NL", 0.1}}

var (
	cnSurnames = []struct{ han, pinyin string }{
		{"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}, {"陈", "chen"}, {"杨", "yang"}, {"黄", "huang"},
		{"赵", "zhao"}, {"吴", "wu"}, {"周", "zhou"}, {"徐", "xu"}, {"孙", "sun"}, {"马", "ma"}, {"朱", "zhu"},
		{"胡", "hu"}, {"郭", "guo"}, {"何", "he"}, {"高", "gao"}, {"林", "lin"}, {"罗", "luo"},
	}
	cnGiven = []struct{ han, pinyin string }{
		{"伟", "wei"}, {"芳", "fang"}, {"娜", "na"}, {"秀英", "xiuying"}, {"敏", "min"}, {"静", "jing"}, {"丽", "li"},
		{"强", "qiang"}, {"磊", "lei"}, {"军", "jun"}, {"洋", "yang"}, {"勇", "yong"}, {"艳", "yan"}, {"杰", "jie"},
		{"娟", "juan"}, {"涛", "tao"}, {"明", "ming"}, {"超", "chao"}, {"霞", "xia"}, {"平", "ping"}, {"子涵", "zihan"},
		{"浩然", "haoran"}, {"欣怡", "xinyi"}, {"宇轩", "yuxuan"},
	}
	cnDistricts = []string{"浦东新区", "朝阳区", "天河区", "南山区", "西湖区", "武侯区", "江汉区", "鼓楼区", "海淀区", "福田区"}
	cnStreets   = []string{"世纪大道", "建国路", "天河路", "深南大道", "文三路", "人民南路", "解放大道", "中山路", "中关村大街", "科技园路"}
	cnMail      = []string{"qq.com", "163.com", "126.com", "sina.com", "foxmail.com"}

	westFirst = map[string][]string{
		"US": {"James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda", "William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Daniel", "Karen"},
		"DE": {"Lukas", "Anna", "Jonas", "Lea", "Leon", "Hannah", "Finn", "Mia", "Paul", "Emma", "Felix", "Sophie"},
		"FR": {"Camille", "Louis", "Léa", "Gabriel", "Chloé", "Hugo", "Manon", "Jules", "Inès", "Arthur"},
		"NL": {"Daan", "Emma", "Sem", "Julia", "Lucas", "Tess", "Levi", "Sophie", "Finn", "Anna"},
		"GB": {"Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Olivia", "Noah", "Emily"},
	}
	westLast = map[string][]string{
		"US": {"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Taylor", "Moore", "Jackson", "Martin"},
		"DE": {"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz", "Hoffmann"},
		"FR": {"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"},
		"NL": {"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit", "Meijer"},
		"GB": {"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright"},
	}
	westStreets = map[string][]string{
		"US": {"Main St", "Oak Ave", "Maple Dr", "Elm St", "Park Ave", "Washington Blvd", "Lake St", "Cedar Ln", "Pine St", "Sunset Blvd"},
		"DE": {"Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schulstraße", "Lindenstraße", "Bergstraße"},
		"FR": {"rue de Rivoli", "avenue Victor Hugo", "rue de la République", "boulevard Voltaire", "rue Lafayette"},
		"NL": {"Damrak", "Prinsengracht", "Keizersgracht", "Overtoom", "Kinkerstraat"},
		"GB": {"High Street", "Station Road", "Church Lane", "Victoria Road", "Green Lane", "Manor Road"},
	}
	westMail = []string{"gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "gmx.de", "orange.fr", "btinternet.com"}
)

// person is a customer with a delivery address in one market.
type person struct {
	m        market
	c        city
	customer orderbot.Customer
	addr     orderbot.Address
}

// newPerson draws a customer.
func (w *World) newPerson() person {
	country := "CN"
	if !w.chance(w.opts.ChinaShare) {
		x := w.rng.Float64()
		for _, oc := range otherCountries {
			country = oc.country
			if x < oc.share {
				break
			}
			x -= oc.share
		}
	}
	m := markets[country]
	c := oneOf(w, m.cities)
	p := person{m: m, c: c}
	phone := c.phone(w)
	if country == "CN" {
		sn, gn := oneOf(w, cnSurnames), oneOf(w, cnGiven)
		name := sn.han + gn.han
		email := ""
		if w.chance(0.6) {
			email = sn.pinyin + "." + gn.pinyin + digits(w, 2) + "@" + oneOf(w, cnMail)
		}
		line1 := oneOf(w, cnDistricts) + oneOf(w, cnStreets) + fmt.Sprint(1+w.rng.IntN(999)) + "号"
		line2 := fmt.Sprintf("%d栋%d室", 1+w.rng.IntN(30), 101+w.rng.IntN(30)*100+w.rng.IntN(6))
		p.customer = orderbot.Customer{Name: name, Phone: phone, Email: email, Locale: m.locale, Timezone: c.tz}
		p.addr = orderbot.Address{Name: name, Line1: line1, Line2: line2, City: c.name, Province: c.province,
			PostalCode: c.postal(w), Country: "CN"}
	} else {
		first, last := oneOf(w, westFirst[country]), oneOf(w, westLast[country])
		name := first + " " + last
		local := strings.ToLower(asciiFold(first) + "." + strings.ReplaceAll(asciiFold(last), " ", ""))
		email := local + digits(w, 2) + "@" + oneOf(w, westMail)
		var line1 string
		switch country {
		case "US", "GB":
			line1 = fmt.Sprint(1+w.rng.IntN(2400)) + " " + oneOf(w, westStreets[country])
		case "FR":
			line1 = fmt.Sprint(1+w.rng.IntN(180)) + " " + oneOf(w, westStreets[country])
		default:
			line1 = oneOf(w, westStreets[country]) + " " + fmt.Sprint(1+w.rng.IntN(180))
		}
		line2 := ""
		if w.chance(0.25) {
			line2 = "Apt " + fmt.Sprint(1+w.rng.IntN(40)) + letters(w, 1, "ABCD")
		}
		p.customer = orderbot.Customer{Name: name, Phone: phone, Email: email, Locale: m.locale, Timezone: c.tz}
		p.addr = orderbot.Address{Name: name, Line1: line1, Line2: line2, City: c.name, Province: c.province,
			PostalCode: c.postal(w), Country: country}
	}
	if w.chance(0.7) {
		p.addr.Phone = phone
	}
	return p
}

// asciiFold drops accents from the Latin letters the name lists use, for email
// local parts.
func asciiFold(s string) string {
	r := strings.NewReplacer("ü", "ue", "ö", "oe", "ä", "ae", "ß", "ss", "é", "e", "è", "e", "ï", "i", "ô", "o", "ç", "c")
	return r.Replace(s)
}
