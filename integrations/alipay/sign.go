package alipay

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// ParsePrivateKey reads an RSA private key as Alipay's key tool writes it: PEM
// (PKCS#1 "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY") or the bare base64 of
// either DER form.
func ParsePrivateKey(s string) (*rsa.PrivateKey, error) {
	der, err := keyDER(s)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("not an RSA private key in PKCS#1 or PKCS#8 form")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("the private key is not an RSA key")
	}
	return rk, nil
}

// ParsePublicKey reads the Alipay public key: PEM ("PUBLIC KEY", PKIX) or the
// bare base64 the Alipay console shows.
func ParsePublicKey(s string) (*rsa.PublicKey, error) {
	der, err := keyDER(s)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		if rk, err1 := x509.ParsePKCS1PublicKey(der); err1 == nil {
			return rk, nil
		}
		return nil, errors.New("not an RSA public key in PKIX form")
	}
	rk, ok := k.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("the public key is not an RSA key")
	}
	return rk, nil
}

func keyDER(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		b, _ := pem.Decode([]byte(s))
		if b == nil {
			return nil, errors.New("the PEM block does not parse")
		}
		return b.Bytes, nil
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		return nil, errors.New("neither PEM nor base64")
	}
	return der, nil
}

// SignContent is the text a request is signed over: every parameter except
// sign and empty values, keys in ASCII order, joined as raw k=v with &
// (no URL encoding).
func SignContent(params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "sign" && params.Get(k) != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params.Get(k))
	}
	return b.String()
}

// Sign is RSA2: SHA256withRSA (PKCS#1 v1.5) over content, base64.
func Sign(key *rsa.PrivateKey, content []byte) (string, error) {
	sum := sha256.Sum256(content)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Verify checks an RSA2 signature (base64) over content.
func Verify(key *rsa.PublicKey, content []byte, sign string) error {
	sig, err := base64.StdEncoding.DecodeString(sign)
	if err != nil {
		return errors.New("the signature is not base64")
	}
	sum := sha256.Sum256(content)
	if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, sum[:], sig); err != nil {
		return errors.New("the signature does not match")
	}
	return nil
}

// SignedValue takes the value of key (e.g. "alipay_trade_query_response") and
// the top-level "sign" out of a gateway answer. The value is the exact text
// that arrived: json.RawMessage keeps the bytes, so what is verified is what
// Alipay signed, whatever its escaping. A missing key is an error; a missing
// sign gives "".
func SignedValue(body []byte, key string) (value json.RawMessage, sign string, err error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, "", fmt.Errorf("the answer is not a JSON object: %w", err)
	}
	v, ok := top[key]
	if !ok {
		return nil, "", fmt.Errorf("the answer has no %s", key)
	}
	if raw, ok := top["sign"]; ok {
		if err := json.Unmarshal(raw, &sign); err != nil {
			return nil, "", errors.New("sign is not a string")
		}
	}
	return v, sign, nil
}
